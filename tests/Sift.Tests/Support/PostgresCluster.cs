using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Sift.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL 15 cluster (Debian's postgresql-15, with pgvector built from ../shared/vendor by
/// tools/postgres/install-pgvector.sh, which test.sh runs) on a free loopback port, initialised in a temporary folder
/// and removed afterwards. One cluster serves a whole test collection; each test class takes its own database.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    public const string Name = "postgres";
    private const string Binaries = "/usr/lib/postgresql/15/bin";
    private readonly string _folder;
    private int _databases;

    public PostgresCluster()
    {
        if (!File.Exists(Path.Combine(Binaries, "initdb")))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({Binaries}/initdb): run ./test.sh, which installs it and pgvector");
        }

        if (!File.Exists("/usr/share/postgresql/15/extension/vector.control"))
        {
            throw new InvalidOperationException("pgvector is not installed: run tools/postgres/install-pgvector.sh (./test.sh does)");
        }

        Port = LoopbackServer.FreePort();
        _folder = Path.Combine(Path.GetTempPath(), $"sift-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        if (IsRoot)
        {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres user Debian's package made.
            Run("chown", ["postgres:postgres", _folder]);
        }

        AsOwner("initdb", ["-A", "trust", "-U", "postgres", "-D", Path.Combine(_folder, "data"), "--no-sync", "-E", "UTF8", "--locale", "C"]);
        Start();
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>), on the same port with the same data.</summary>
    public void Start() =>
        AsOwner("pg_ctl", ["-D", Path.Combine(_folder, "data"), "-l", Path.Combine(_folder, "log"), "-w", "-t", "60", "-o",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"]);

    /// <summary>Stops the server at once, as a crash or a network fault would take it away; the data stays.</summary>
    public void Stop() => AsOwner("pg_ctl", ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"]);

    public int Port { get; }

    /// <summary>A new empty database, as a store address.</summary>
    public string NewDatabase()
    {
        var name = $"sift_test_{Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture)}";
        using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        command.ExecuteNonQuery();
        return Address(name);
    }

    /// <summary>One value a query returns from a store's database (0 while the tables a Sift process makes do not exist yet).</summary>
    public static long Scalar(string database, string sql)
    {
        var builder = Postgres.PostgresAddress.Parse(database);
        builder.Pooling = false;
        using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        try
        {
            return Convert.ToInt64(command.ExecuteScalar() ?? 0L, CultureInfo.InvariantCulture);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }

    public string Address(string database) => $"postgres://postgres@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{database}";

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            Stop();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static void AsOwner(string program, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(Binaries, program);
        if (IsRoot)
        {
            Run("runuser", ["-u", "postgres", "--", path, .. arguments]);
        }
        else
        {
            Run(path, arguments);
        }
    }

    private static void Run(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish in 2 minutes");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result}{output.Result}");
        }
    }
}

[CollectionDefinition(PostgresCluster.Name)]
public sealed class PostgresClusterCollection : ICollectionFixture<PostgresCluster>;
