using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sift.Core;
using Sift.Core.Telemetry;
using Sift.Generation.Llm;
using Sift.Generation.Logging;
using Sift.Server.Auth;
using Sift.Server.Caching;
using Sift.Server.Endpoints;
using Sift.Server.Http;
using Sift.Server.Jobs;
using Sift.Server.WebConsole;

namespace Sift.Server;

/// <summary>The composition root of <c>sift serve</c>: services, middleware, endpoints.</summary>
public static class SiftServer
{
    public static WebApplication Build(ServerOptions options, IReadOnlyList<string> urls)
    {
        if (!options.RequireKeys && urls.Any(u => !IsLoopback(u)))
        {
            throw new InvalidOptionException("no auth", "is only allowed on loopback addresses (http://127.0.0.1:PORT); create API keys to serve others");
        }

        if (urls.FirstOrDefault(u => !IsListenAddress(u)) is { } bad)
        {
            throw new InvalidOptionException("listen addresses", $"'{bad}' is not an address to listen on (e.g. http://127.0.0.1:8080, https://0.0.0.0:8443, http://*:8080)");
        }

        options.Oidc?.Validate();
        options = options with { OtlpProtocol = options.OtlpProtocol ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "grpc" };
        if (options.OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            throw new InvalidOptionException("OTLP protocol", $"'{options.OtlpProtocol}' is not supported: use grpc or http/protobuf");
        }

        var keys = new ApiKeyStore(options.StoreRoot, options.Store);
        if (options.RequireKeys && options.Oidc is null && !keys.Any())
        {
            throw new InvalidOptionException("API keys", $"do not exist in {keys.Location}: create one (sift keys create --name NAME --scopes read --collections NAME), or serve loopback without authentication");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Sift" });
        builder.WebHost.UseUrls([.. urls]);
        var certificate = Tls.Certificate(options, urls, builder.Configuration);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.Limits.MaxUploadBytes;
            if (certificate is not null)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });
        builder.Logging.ClearProviders().AddJsonConsole(o => o.IncludeScopes = true).AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .AddFilter("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware", LogLevel.None) // client errors are answered, not logged as failures; HandleExceptionAsync logs 5xx
            .AddFilter("ModelContextProtocol", LogLevel.Critical); // a tool's refusal (not found, bad argument) goes back to the caller, not into the error log
        ConfigureServices(builder.Services, options, keys);

        var app = builder.Build();
        ConfigurePipeline(app, options, keys);
        HealthEndpoints.Map(app);
        CollectionEndpoints.Map(app);
        QueryEndpoints.Map(app);
        DocumentEndpoints.Map(app);
        VersionEndpoints.Map(app);
        ChatCompletionEndpoints.Map(app);
        // MCP over streamable HTTP, stateless (each request stands alone, so the request's key is the caller of its
        // tool calls); a request without valid credentials is refused before the protocol starts.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/mcp"), mcp => mcp.Use(async (context, next) =>
        {
            if (Caller.Of(context) is null)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problems.Unauthorized().ExecuteAsync(context);
                return;
            }

            await next(context);
        }));
        app.MapMcp("/mcp");
        ConsoleEndpoints.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static void ConfigureServices(IServiceCollection services, ServerOptions options, ApiKeyStore keys)
    {
        services.AddSingleton(options);
        services.AddSingleton(keys);
        services.AddSingleton(new FailedAuthThrottle(options.Limits.FailedAuthBurst, TimeProvider.System));
        if (options.Oidc is { } oidc)
        {
            services.AddSingleton(sp => new TokenVerifier(oidc, sp.GetRequiredService<ILogger<TokenVerifier>>()));
        }

        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger<CollectionHost>();
            return new CollectionHost(options, message => logger.LogWarning("{Warning}", message));
        });
        services.AddSingleton(_ => Composition.SiftStores.OpenQueryLog(Core.Storage.StoreLocation.Resolve(options.Store ?? options.StoreRoot), options.StoreRoot));
        services.AddSingleton(_ => new CircuitBreaker());
        services.AddSingleton<QueryService>();
        services.AddHttpContextAccessor();
        services.AddScoped<Agents.IAgentGateway, Agents.HttpAgentGateway>();
        services.AddMcpServer(mcp => mcp.ServerInfo = new() { Name = "sift", Version = SiftBuild.Version })
            .WithHttpTransport(http => http.Stateless = true)
            .WithTools<Agents.SiftTools>(Agents.SiftTools.Json)
            .WithRequestFilters(filters => filters.AddCallToolFilter(Agents.ToolArguments.Filter))
            .WithResources<Agents.SiftResources>();
        services.AddSingleton(_ => new Generation.Conversation.QuestionRewriter(options.Llm?.CreateChatClient(), options.Llm?.Model));
        services.AddSingleton<Rollout.Webhooks>();
        services.AddSingleton<Rollout.Canaries>();
        services.AddSingleton<Rollout.DriftWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<Rollout.DriftWatch>());
        services.AddSingleton<LlmProbe>();
        services.AddSingleton<EvaluationRuns>();
        services.AddHostedService(sp => sp.GetRequiredService<EvaluationRuns>());
        services.AddSingleton<IngestJobs>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestJobs>());
        services.AddHostedService<Retention>();
        services.AddSingleton<WarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<WarmUp>());
        services.AddHttpClient();
        // The console: its sign-in cookie and anti-forgery tokens are protected with keys kept beside the API keys, so
        // a restart does not sign everyone out.
        services.AddDataProtection().SetApplicationName("sift").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.StoreRoot, "console-keys")));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.HeaderName = "X-CSRF-Token";
            antiforgery.FormFieldName = "csrf";
            antiforgery.Cookie.Name = "sift_csrf";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        // Console pages go out gzipped (the assets are stored gzipped already). Over HTTPS that invites BREACH-style
        // guessing of secrets in a page from its compressed length, which needs the attacker's text reflected in
        // the victim's page by a cross-site request: the sign-in cookie is SameSite=Strict, so such requests carry no
        // session, and the anti-forgery token differs in every response.
        services.AddResponseCompression(compression =>
        {
            compression.EnableForHttps = true;
            compression.MimeTypes = ["text/html"];
        });
        services.AddSingleton<ConsoleSession>();
        services.AddSingleton<ConsoleAssets>();
        if (options.Redis is { } redis)
        {
            // HybridCache finds the distributed cache and uses it beneath its in-process layer.
            services.AddStackExchangeRedisCache(cache => cache.Configuration = redis);
        }

        // HybridCache gives every in-process entry its serialized size, so this bounds the exact cache in bytes.
        services.AddMemoryCache(memory =>
        {
            memory.SizeLimit = options.CacheMemoryBytes;
            memory.TrackStatistics = true;
        });
        services.AddHybridCache();
        services.AddSingleton(sp => options.Cache
            ? new ResponseCache(sp.GetRequiredService<HybridCache>(), options.SemanticCacheThreshold, options.CacheTtl)
            : null!);
        services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = options.Limits.MaxUploadBytes);
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddOpenApi(openApi =>
        {
            openApi.AddDocumentTransformer((document, _, _) =>
            {
                OpenApiSecurity.Describe(document);
                return Task.CompletedTask;
            });
            openApi.AddSchemaTransformer(OpenApiSchemas.Describe);
        });
        // Numbers are numbers: "k": "10" is refused (and the OpenAPI document types k as an integer, not a string pattern).
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        services.AddRequestTimeouts(timeouts => timeouts.DefaultPolicy = new Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutPolicy
        {
            Timeout = options.Limits.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            WriteTimeoutResponse = context => Problems.Create(
                StatusCodes.Status504GatewayTimeout, "timeout", "The request took too long", $"requests are cut after {options.Limits.RequestTimeout.TotalSeconds:0.#} s").ExecuteAsync(context),
        });
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                Caller.Of(context) is { IsAnonymous: false } caller
                    ? RateLimitPartition.GetTokenBucketLimiter(caller.Id, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.Limits.RequestsPerMinute,
                        TokensPerPeriod = options.Limits.RequestsPerMinute,
                        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter("unkeyed"));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "60";
                await Problems.Create(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many requests", $"this key may make {options.Limits.RequestsPerMinute} requests per minute")
                    .ExecuteAsync(rejected.HttpContext);
            };
        });
        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("sift", serviceVersion: typeof(SiftServer).Assembly.GetName().Version?.ToString()));
        var otlp = options.OtlpEndpoint ?? (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } fromEnvironment ? new Uri(fromEnvironment) : null);
        var protocol = options.OtlpProtocol!;
        telemetry.WithTracing(tracing =>
        {
            tracing.AddSource(SiftTelemetry.Name).AddAspNetCoreInstrumentation();
            if (otlp is not null)
            {
                tracing.AddOtlpExporter(o => ExportTo(o, otlp, protocol, "traces"));
            }
        });
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(SiftTelemetry.Name).AddAspNetCoreInstrumentation().AddPrometheusExporter();
            if (otlp is not null)
            {
                metrics.AddOtlpExporter(o => ExportTo(o, otlp, protocol, "metrics"));
            }
        });
    }

    /// <summary>
    /// Points an OTLP exporter at the collector. Over HTTP each signal has its own path, which the exporter does not
    /// add to an endpoint set in code.
    /// </summary>
    private static void ExportTo(OpenTelemetry.Exporter.OtlpExporterOptions exporter, Uri endpoint, string protocol, string signal)
    {
        (exporter.Protocol, exporter.Endpoint) = protocol == "http/protobuf"
            ? (OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf, new Uri($"{endpoint.AbsoluteUri.TrimEnd('/')}/v1/{signal}"))
            : (OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, endpoint);
    }

    private static void ConfigurePipeline(WebApplication app, ServerOptions options, ApiKeyStore keys)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = HandleExceptionAsync });
        app.UseResponseCompression();
        // Routing's own answers (no such route, wrong method, wrong content type) are problems too, with a stable code.
        app.UseStatusCodePages(async pages =>
        {
            var context = pages.HttpContext;
            var problem = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => Problems.NotFound($"'{context.Request.Path}'"),
                StatusCodes.Status405MethodNotAllowed => Problems.Create(StatusCodes.Status405MethodNotAllowed, "method_not_allowed", "Method not allowed", $"{context.Request.Method} is not served at '{context.Request.Path}'"),
                StatusCodes.Status415UnsupportedMediaType => Problems.UnsupportedMediaType($"'{context.Request.ContentType}' is not accepted here: send application/json (uploads also take multipart/form-data)"),
                _ => null,
            };
            if (problem is not null)
            {
                await problem.ExecuteAsync(context);
            }
        });
        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
            // Only uploads may be large; every other body is small JSON.
            var upload = HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Value?.EndsWith("/documents", StringComparison.Ordinal) == true;
            var limit = upload ? options.Limits.MaxUploadBytes : options.Limits.MaxRequestBytes;
            if (context.Request.ContentLength > limit)
            {
                await RefuseTooLargeAsync(context, limit);
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }

            if (await Authentication.AuthenticateAsync(context, options, keys) is { } refused)
            {
                await refused.ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        app.UseRateLimiter();
        app.UseRequestTimeouts();
    }

    /// <summary>
    /// Answers 413 to a body declared larger than the limit, then closes the connection. A client still sending its
    /// body would see the connection reset rather than this answer, so a body up to 16 MiB over the limit is read
    /// and dropped first (for at most 5 s). A client that asked "Expect: 100-continue" has sent nothing yet: it is
    /// answered at once.
    /// </summary>
    private static async Task RefuseTooLargeAsync(HttpContext context, long limit)
    {
        context.Response.Headers.Connection = "close";
        var declared = context.Request.ContentLength!.Value;
        var waitingToSend = context.Request.Headers.Expect.ToString().Contains("100-continue", StringComparison.OrdinalIgnoreCase);
        if (!waitingToSend && declared - limit <= 16L << 20 && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = declared;
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            patience.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await context.Request.Body.CopyToAsync(Stream.Null, patience.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
            {
                // The client stopped or is too slow: answer anyway.
            }
        }

        await Problems.TooLarge($"the body is {declared} bytes; this endpoint accepts at most {limit}").ExecuteAsync(context);
    }

    /// <summary>Any exception becomes a problem with a stable code; clients never see a stack trace.</summary>
    private static async Task HandleExceptionAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var problem = error switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => Problems.TooLarge("the request body is larger than this endpoint accepts"),
            BadHttpRequestException { InnerException: System.Text.Json.JsonException json } => JsonProblems.Describe(json),
            BadHttpRequestException bad => Problems.Invalid("body", bad.Message),
            InvalidDataException bad => Problems.Invalid("files", bad.Message),
            SiftException { InnerException: System.Data.Common.DbException { IsTransient: true } } or System.Data.Common.DbException { IsTransient: true }
                => Problems.Create(StatusCodes.Status503ServiceUnavailable, "unavailable", "The store is unavailable", "the database could not be reached; try again shortly"),
            SiftException sift => Problems.BadRequest(sift.Message),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => Problems.Create(StatusCodes.Status504GatewayTimeout, "timeout", "The request took too long", "the request was cancelled or timed out"),
            _ => Problems.Create(StatusCodes.Status500InternalServerError, "internal_error", "Something went wrong", $"quote request id {context.TraceIdentifier} when reporting this"),
        };
        if (problem is IStatusCodeHttpResult { StatusCode: StatusCodes.Status413PayloadTooLarge })
        {
            context.Response.Headers.Connection = "close";
        }

        if (error is not null && problem is IStatusCodeHttpResult { StatusCode: >= 500 })
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Sift.Server").LogError(error, "request {RequestId} failed", context.TraceIdentifier);
        }

        await problem.ExecuteAsync(context);
    }

    /// <summary>An http(s) URL; Kestrel also takes * and + as "every interface".</summary>
    private static bool IsListenAddress(string url) =>
        Uri.TryCreate(url.Replace("://*", "://any", StringComparison.Ordinal).Replace("://+", "://any", StringComparison.Ordinal), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.AbsolutePath == "/";

    private static bool IsLoopback(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Host is "127.0.0.1" or "[::1]" or "localhost");
}

/// <summary>Deletes query-log entries and finished ingestion jobs older than the retention period, at start and every hour.</summary>
internal sealed class Retention(QueryLog log, IngestJobs jobs, ServerOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        try
        {
            do
            {
                log.Prune(options.LogRetention);
                jobs.Prune(options.LogRetention);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: nothing to finish.
        }
    }
}
