using Sift.Generation.Llm;
using Sift.Generation.Prompts;
using Sift.Ingest.Loading;
using Sift.Server.Auth;

namespace Sift.Server;

/// <summary>Request limits: every one of them answers a way a client (or an attacker) could hurt the service.</summary>
public sealed record ServerLimits
{
    /// <summary>JSON request bodies (search, ask, feedback, JSON documents).</summary>
    public long MaxRequestBytes { get; init; } = 1 << 20;

    /// <summary>A multipart upload of files.</summary>
    public long MaxUploadBytes { get; init; } = 50L << 20;

    public int MaxQueryLength { get; init; } = 2000;

    public int MaxK { get; init; } = 100;

    /// <summary>Requests per minute per key (token bucket; bursts up to the same number).</summary>
    public int RequestsPerMinute { get; init; } = 600;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Failed authentications one client address may make in a burst before it is made to wait.</summary>
    public int FailedAuthBurst { get; init; } = 20;

    /// <summary>Every type the ingest loaders read (so the two lists cannot drift apart), and .zip archives of them.</summary>
    public static IReadOnlyList<string> UploadExtensions { get; } = [.. LoaderRegistry.Default.Extensions, ".zip"];
}

/// <summary>How <c>sift serve</c> runs.</summary>
public sealed record ServerOptions
{
    /// <summary>The folder for what stays on this machine: API keys, the ingest job table, uploads, the query log (and the collections, unless <see cref="Store"/> says otherwise).</summary>
    public required string StoreRoot { get; init; }

    /// <summary>Where the collections are when not in <see cref="StoreRoot"/>: a postgres:// address or connection string.</summary>
    public string? Store { get; init; }

    /// <summary>
    /// On a PostgreSQL store, how long a server's claim on an ingestion job lasts without renewal (renewed every third
    /// of it while the job runs): after a server dies, another takes its jobs over within this time.
    /// </summary>
    public TimeSpan JobLease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>False only for --no-auth (loopback only): every request is the anonymous caller.</summary>
    public bool RequireKeys { get; init; } = true;

    /// <summary>The certificate for https:// addresses: a PEM file (with <see cref="TlsKey"/>) or a PKCS#12 (.pfx) file.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>The PEM private key of <see cref="TlsCertificate"/> (omit when the key is in the same file or a .pfx).</summary>
    public string? TlsKey { get; init; }

    /// <summary>The password of a .pfx file or an encrypted PEM key.</summary>
    public string? TlsPassword { get; init; }

    /// <summary>Also accept end users' access tokens from this OpenID Connect provider.</summary>
    public OidcOptions? Oidc { get; init; }

    public LlmEndpoint? Llm { get; init; }

    public PromptTemplate Prompt { get; init; } = PromptLibrary.Get(PromptLibrary.DefaultId);

    /// <summary>How often every collection's recent traffic is checked for drift (null: never; the monitor endpoint still answers).</summary>
    public TimeSpan? DriftCheckInterval { get; init; }

    /// <summary>The recent window a drift check compares...</summary>
    public TimeSpan DriftWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>...with this span of traffic before it.</summary>
    public TimeSpan DriftReference { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Where drift alerts are posted (JSON), if anywhere.</summary>
    public Uri? DriftWebhook { get; init; }

    /// <summary>
    /// A folder of evaluation datasets in BEIR's layout (one folder each: queries.jsonl and qrels/SPLIT.tsv; the corpus
    /// is not needed) that administrators may run against a collection from the console (null: none).
    /// </summary>
    public string? Datasets { get; init; }


    /// <summary>Abstain when the best retrieval score is below this (sift eval abstention calibrates it).</summary>
    public double MinScore { get; init; }

    /// <summary>Abstain when the best passage covers less than this share of the question's terms (0: off; a <see cref="MinScore"/> replaces it).</summary>
    public double MinCoverage { get; init; } = Generation.AskPipeline.DefaultMinCoverage;

    public ServerLimits Limits { get; init; } = new();

    public bool Cache { get; init; } = true;

    /// <summary>Cosine similarity above which a new question is answered from the semantic cache.</summary>
    public double SemanticCacheThreshold { get; init; } = 0.97;

    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Bytes the in-process exact cache may hold (serialized results); the least recently used go first.</summary>
    public long CacheMemoryBytes { get; init; } = 64L << 20;

    /// <summary>A Redis connection string: the exact cache is then shared by every server using that Redis.</summary>
    public string? Redis { get; init; }

    /// <summary>Ingestion jobs run at once (tenants take turns; one collection takes one job at a time).</summary>
    public int IngestWorkers { get; init; } = 2;

    /// <summary>Query-log entries older than this are deleted.</summary>
    public TimeSpan LogRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Store query text in the query log as null (results, latency and flags are still logged).</summary>
    public bool RedactQueries { get; init; }

    /// <summary>OTLP endpoint for traces and metrics (also honoured: OTEL_EXPORTER_OTLP_ENDPOINT).</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>
    /// "grpc" (a collector's port 4317) or "http/protobuf" (port 4318; /v1/traces and /v1/metrics are appended to the
    /// endpoint). Also honoured: OTEL_EXPORTER_OTLP_PROTOCOL; default grpc.
    /// </summary>
    public string? OtlpProtocol { get; init; }
}
