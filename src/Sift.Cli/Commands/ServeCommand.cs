using System.CommandLine;
using Sift.Core;
using Microsoft.Extensions.Hosting;
using Sift.Core.Storage;
using Sift.Index.Storage;
using Sift.Server;
using Sift.Server.Auth;

namespace Sift.Cli.Commands;

/// <summary><c>sift serve</c>: the HTTP API over the store (see Sift.Server).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string[]>("--urls") { Description = "Addresses to listen on", DefaultValueFactory = _ => ["http://127.0.0.1:8080"], AllowMultipleArgumentsPerToken = true };
        var noAuth = new Option<bool>("--no-auth") { Description = "Serve without API keys (loopback addresses only); callers see only documents without an access list" };
        var noCache = new Option<bool>("--no-cache") { Description = "Turn off the exact and semantic answer caches" };
        var threshold = new Option<double>("--cache-threshold") { Description = "Cosine similarity above which the semantic cache answers a question", DefaultValueFactory = _ => 0.97 };
        var cacheMb = new Option<int>("--cache-mb") { Description = "Memory for the in-process exact cache", DefaultValueFactory = _ => 64 };
        var redact = new Option<bool>("--redact-queries") { Description = "Keep query text out of the query log" };
        var retention = new Option<int>("--log-retention-days") { Description = "Delete query-log entries and finished ingestion jobs older than this", DefaultValueFactory = _ => 30 };
        var rate = new Option<int>("--rate-limit") { Description = "Requests per minute per API key", DefaultValueFactory = _ => 600 };
        var upload = new Option<int>("--max-upload-mb") { Description = "Largest upload accepted", DefaultValueFactory = _ => 50 };
        var failedAuth = new Option<int>("--failed-auth-burst") { Description = "Failed authentications per client address before it must wait (refilled at this many per minute)", DefaultValueFactory = _ => 20 };
        var workers = new Option<int>("--ingest-workers") { Description = "Ingestion jobs run at once (tenants take turns)", DefaultValueFactory = _ => 2 };
        var jobLease = new Option<int>("--job-lease-seconds") { Description = "On a PostgreSQL store: how long a server's claim on an ingestion job lasts unrenewed; another server takes over a dead one's jobs after this", DefaultValueFactory = _ => 30 };
        var redis = new Option<string?>("--redis") { Description = "Share the exact cache through Redis, e.g. localhost:6379 (default: in process only)" };
        var otlp = CommonOptions.Url("--otlp-endpoint", "Export traces and metrics over OTLP (default: $OTEL_EXPORTER_OTLP_ENDPOINT, else none; /metrics serves Prometheus either way)");
        var tlsCert = new Option<string?>("--tls-cert") { Description = "Certificate for https:// addresses: PEM (with --tls-key) or .pfx; password from $SIFT_TLS_PASSWORD" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var otlpProtocol = new Option<string?>("--otlp-protocol") { Description = "grpc (collector port 4317) or http/protobuf (port 4318) (default: $OTEL_EXPORTER_OTLP_PROTOCOL, else grpc)" };
        otlpProtocol.AcceptOnlyFromAmong("grpc", "http/protobuf");
        var oidcAuthority = CommonOptions.Url("--oidc-authority", "Also accept users' access tokens from this OpenID Connect provider (its issuer URL)");
        var oidcAudience = new Option<string?>("--oidc-audience") { Description = "The audience those tokens must be issued for" };
        var oidcGroups = new Option<string>("--oidc-groups-claim") { Description = "The token claim listing the user's groups (principals group:NAME)", DefaultValueFactory = _ => "groups" };
        var oidcUser = new Option<string>("--oidc-user-claim") { Description = "The token claim naming the user (principal user:NAME)", DefaultValueFactory = _ => "sub" };
        var oidcCollections = new Option<string>("--oidc-collections") { Description = "Collections token users may use, comma-separated, or *", DefaultValueFactory = _ => "*" };
        foreach (var positive in (Option<int>[])[failedAuth, workers, jobLease])
        {
            positive.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() < 1)
                {
                    result.AddError($"{positive.Name} must be at least 1");
                }
            });
        }

        var driftCheck = new Option<int?>("--drift-check-minutes") { Description = "Check every collection's recent traffic for drift this often, alerting in the log, the sift.drift.alerts metric and --drift-webhook (default: never; GET /v1/collections/{c}/monitor answers either way)" };
        var driftWindow = new Option<string>("--drift-window") { Description = "The recent traffic a drift check looks at", DefaultValueFactory = _ => "24h" };
        var driftReference = new Option<string>("--drift-reference-window") { Description = "The traffic before --drift-window it is compared with", DefaultValueFactory = _ => "7d" };
        var driftWebhook = CommonOptions.Url("--drift-webhook", "Where drift alerts are posted as JSON");
        var datasets = new Option<string?>("--datasets") { Description = "A folder of evaluation datasets (BEIR layout: a folder each with queries.jsonl and qrels/SPLIT.tsv) that administrators may run against a collection from the console" };
        var llm = new LlmOptions();
        var command = new Command("serve", "Serve the store over HTTP: search, ask (JSON or SSE), uploads, feedback, health, metrics")
        {
            urls, noAuth, noCache, threshold, cacheMb, redact, retention, rate, upload, failedAuth, workers, jobLease, redis, otlp, otlpProtocol, tlsCert, tlsKey, oidcAuthority, oidcAudience, oidcGroups, oidcUser, oidcCollections,
            driftCheck, driftWindow, driftReference, driftWebhook, datasets,
        };
        llm.AddTo(command);
        command.Validators.Add(parsed =>
        {
            // Token settings without a provider would be silently ignored: say so instead.
            var oidcOnly = new Option[] { oidcAudience, oidcGroups, oidcUser, oidcCollections }.Where(o => parsed.GetResult(o) is { Implicit: false });
            if (parsed.GetValue(oidcAuthority) is null && oidcOnly.FirstOrDefault() is { } orphan)
            {
                parsed.AddError($"{orphan.Name} needs --oidc-authority");
            }

        });
        command.SetAction(async (result, cancellation) =>
        {
            var (answerer, endpoint) = llm.Build(result);
            var options = new ServerOptions
            {
                StoreRoot = CommonOptions.HomeFolder(result),
                Store = StoreLocation.Resolve(result.GetValue(CommonOptions.Store)) is { IsPostgres: true } location ? location.Value : null,
                JobLease = TimeSpan.FromSeconds(result.GetValue(jobLease)),
                RequireKeys = !result.GetValue(noAuth),
                Llm = endpoint,
                Prompt = answerer?.Prompt ?? Generation.Prompts.PromptLibrary.Get(Generation.Prompts.PromptLibrary.DefaultId),
                MinScore = llm.MinScore(result),
                MinCoverage = llm.MinCoverage(result),
                Cache = !result.GetValue(noCache),
                SemanticCacheThreshold = result.GetValue(threshold),
                CacheMemoryBytes = result.GetValue(cacheMb) * (1L << 20),
                RedactQueries = result.GetValue(redact),
                LogRetention = TimeSpan.FromDays(result.GetValue(retention)),
                Limits = new ServerLimits { RequestsPerMinute = result.GetValue(rate), MaxUploadBytes = result.GetValue(upload) * (1L << 20), FailedAuthBurst = result.GetValue(failedAuth) },
                IngestWorkers = result.GetValue(workers),
                OtlpEndpoint = result.GetValue(otlp),
                OtlpProtocol = result.GetValue(otlpProtocol),
                TlsCertificate = result.GetValue(tlsCert),
                TlsKey = result.GetValue(tlsKey),
                TlsPassword = Environment.GetEnvironmentVariable("SIFT_TLS_PASSWORD"),
                Redis = result.GetValue(redis),
                DriftCheckInterval = result.GetValue(driftCheck) is { } minutes
                    ? minutes >= 1 ? TimeSpan.FromMinutes(minutes) : throw new Core.InvalidOptionException("--drift-check-minutes", $"must be at least 1 (got {minutes})")
                    : null,
                DriftWindow = Durations.Parse(result.GetValue(driftWindow)!, "--drift-window"),
                DriftReference = Durations.Parse(result.GetValue(driftReference)!, "--drift-reference-window"),
                DriftWebhook = result.GetValue(driftWebhook),
                Datasets = result.GetValue(datasets) is { } folder
                    ? Directory.Exists(folder) ? Path.GetFullPath(folder) : throw new Core.InvalidOptionException("--datasets", $"'{folder}' is not a folder")
                    : null,
                Oidc = result.GetValue(oidcAuthority) is { } authority
                    ? new OidcOptions(authority, result.GetValue(oidcAudience) ?? "")
                    {
                        GroupsClaim = result.GetValue(oidcGroups)!,
                        UserClaim = result.GetValue(oidcUser)!,
                        Collections = result.GetValue(oidcCollections)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    }
                    : null,
            };
            await using var app = SiftServer.Build(options, result.GetValue(urls)!);
            try
            {
                await app.StartAsync(cancellation);
            }
            catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new Core.SiftException($"cannot listen on {string.Join(", ", result.GetValue(urls)!)}: the address is already in use (another server runs there; choose another port with --urls)");
            }

            // stdout carries JSON log lines only; the human greeting goes to stderr.
            await Console.Error.WriteLineAsync($"sift serving {(options.Store is null ? options.StoreRoot : Postgres.PostgresAddress.Describe(Postgres.PostgresAddress.Parse(options.Store)))} on {string.Join(", ", app.Urls)} ({(!options.RequireKeys ? "no auth" : options.Oidc is null ? "API keys required" : $"API keys or tokens from {options.Oidc.Authority}")}); Ctrl+C stops");
            await app.WaitForShutdownAsync(cancellation);
            return 0;
        });
        return command;
    }
}
