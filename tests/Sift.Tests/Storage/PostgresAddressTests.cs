using Sift.Core;
using Sift.Core.Storage;
using Sift.Postgres;

namespace Sift.Tests.Storage;

/// <summary>How a PostgreSQL store address is read: URI and connection-string forms, libpq's parameters, the PG* variables.</summary>
[Collection(EnvironmentVariables.Name)]
public sealed class PostgresAddressTests
{
    [Fact]
    public void TheUriFormTakesLibpqParametersAndPercentEncodedPasswords()
    {
        var builder = PostgresAddress.Parse("postgres://sift:p%40ss%2Fword@db.internal:6543/rag?sslmode=require&connect_timeout=7&application_name=api");
        Assert.Equal(("db.internal", 6543, "rag", "sift", "p@ss/word"), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.Equal((Npgsql.SslMode.Require, 7, "api"), (builder.SslMode, builder.Timeout, builder.ApplicationName));
        Assert.Equal("postgres://sift@db.internal:6543/rag", PostgresAddress.Describe(builder));
    }

    [Fact]
    public void MissingPartsComeFromThePgVariables()
    {
        string?[] saved = [.. new[] { "PGPORT", "PGUSER", "PGDATABASE" }.Select(Environment.GetEnvironmentVariable)];
        try
        {
            Environment.SetEnvironmentVariable("PGPORT", "55432");
            Environment.SetEnvironmentVariable("PGUSER", "reader");
            Environment.SetEnvironmentVariable("PGDATABASE", "kb");
            var fromUri = PostgresAddress.Parse("postgres://127.0.0.1");
            Assert.Equal((55432, "reader", "kb"), (fromUri.Port, fromUri.Username, fromUri.Database));
            var explicitPort = PostgresAddress.Parse("Host=127.0.0.1;Port=5433");
            Assert.Equal(5433, explicitPort.Port);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGPORT", saved[0]);
            Environment.SetEnvironmentVariable("PGUSER", saved[1]);
            Environment.SetEnvironmentVariable("PGDATABASE", saved[2]);
        }
    }

    [Theory]
    [InlineData("postgres://")]
    [InlineData("postgres://u:pa/ss@")]
    public void AGarbledAddressIsOneErrorWithoutThePassword(string address)
    {
        var error = Assert.Throws<SiftException>(() => PostgresAddress.Parse(address));
        Assert.DoesNotContain("pa/ss", error.Message, StringComparison.Ordinal);
        Assert.True(StoreLocation.IsPostgresAddress(address));
    }
}

/// <summary>Tests that set process environment variables run alone: child processes of other tests would inherit them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentVariables
{
    public const string Name = "environment variables";
}
