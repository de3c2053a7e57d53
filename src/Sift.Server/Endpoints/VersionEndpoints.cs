using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Storage;
using Sift.Server.Auth;
using Sift.Server.Http;
using Sift.Server.Rollout;

namespace Sift.Server.Endpoints;

/// <summary>Admin: a collection's versions and aliases (promote, rollback) and its canary.</summary>
internal static class VersionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin/collections/{c}").WithTags("admin");

        admin.MapGet("/versions", (string c, HttpContext context, CollectionHost host) =>
            Catalog(context, c, host, out var catalog) ?? Results.Ok(new VersionList(catalog.Aliases(), catalog.List())))
            .WithName("ListVersions").Produces<VersionList>().ProducesProblems(404);

        admin.MapGet("/versions/diff", (string c, string from, string to, HttpContext context, CollectionHost host) =>
            Catalog(context, c, host, out var catalog) ?? Run(() => Results.Ok(VersionOperations.Diff(
                catalog,
                CollectionVersions.Find(c, catalog, from) ?? throw new SiftException($"'{from}' names no version"),
                CollectionVersions.Find(c, catalog, to) ?? throw new SiftException($"'{to}' names no version")))))
            .WithName("DiffVersions").Produces<VersionDiff>().ProducesProblems(400, 404)
            .WithDescription("Documents added, removed and changed, and settings changed, between two versions (?from=prod&to=candidate).");

        admin.MapPost("/versions/gc", (string c, int? keepLast, HttpContext context, CollectionHost host) =>
            Catalog(context, c, host, out var catalog) ?? Run(() => Results.Ok(catalog.Collect(new VersionRetention(keepLast ?? 1)))))
            .WithName("CollectVersions").Produces<VersionCollection>().ProducesProblems(400, 404)
            .WithDescription("Deletes the versions no alias points at beyond the newest ?keepLast (default 1), and the rows only they held.");

        admin.MapPost("/aliases/{alias}", (string c, string alias, AliasRequest request, HttpContext context, CollectionHost host) =>
        {
            if (Catalog(context, c, host, out var catalog) is { } denied)
            {
                return denied;
            }

            if (string.IsNullOrWhiteSpace(request.Version))
            {
                return Problems.Invalid("version", "is required: a version number or an alias, e.g. candidate");
            }

            return Run(() =>
            {
                var id = CollectionVersions.Find(c, catalog, request.Version) ?? throw new SiftException($"'{request.Version}' names no version");
                catalog.MoveAlias(alias, id, Caller.Of(context)!.Subject, $"promote {request.Version} (admin API)");
                return Results.Ok(new AliasResult(alias, id));
            });
        }).WithName("MoveAlias").Produces<AliasResult>().ProducesProblems(400, 404)
            .WithDescription("Points the alias at a version (promote): body {version: \"candidate\" | \"7\"}.");

        admin.MapPost("/aliases/{alias}/rollback", (string c, string alias, RollbackRequest? request, HttpContext context, CollectionHost host) =>
        {
            if (Catalog(context, c, host, out var catalog) is { } denied)
            {
                return denied;
            }

            return Run(() =>
            {
                var id = request?.To is { } to
                    ? CollectionVersions.Find(c, catalog, to) ?? throw new SiftException($"'{to}' names no version")
                    : VersionOperations.RollbackTarget(catalog, alias);
                catalog.MoveAlias(alias, id, Caller.Of(context)!.Subject, VersionOperations.RollbackReason);
                return Results.Ok(new AliasResult(alias, id));
            });
        }).WithName("RollbackAlias").Produces<AliasResult>().ProducesProblems(400, 404)
            .WithDescription("Moves the alias back to the version it pointed at before (or body {to: VERSION}).");

        admin.MapPut("/canary", (string c, CanaryPlan plan, HttpContext context, CollectionHost host, Canaries canaries) =>
            Catalog(context, c, host, out _) ?? Run(() => Results.Ok(canaries.Start(c, plan).Status())))
            .WithName("StartCanary").Produces<CanaryStatus>().ProducesProblems(400, 404)
            .WithDescription("Routes a share of callers (sticky per caller) to the candidate alias and compares the arms continuously; a significant degradation stops it, and promoteAfter (if set) promotes a healthy one.");

        admin.MapGet("/canary", (string c, HttpContext context, CollectionHost host, Canaries canaries) =>
            Catalog(context, c, host, out _) ?? (canaries.Find(c) is { } canary ? Results.Ok(canary.Status()) : Problems.NotFound($"a canary on collection '{c}'")))
            .WithName("GetCanary").Produces<CanaryStatus>().ProducesProblems(404);

        app.MapGet("/v1/collections/{c}/monitor", async (string c, string? window, string? reference, string? format, HttpContext context, CollectionHost host, DriftWatch drift) =>
        {
            // Drift summarises every caller's traffic on the collection, so it is for administrators.
            if (Guard.Check(context, Scopes.Admin, c, host, out _, out _) is { } denied)
            {
                return denied;
            }

            TimeSpan last, before;
            try
            {
                last = window is null ? TimeSpan.FromHours(24) : Durations.Parse(window, "window");
                before = reference is null ? last * 7 : Durations.Parse(reference, "reference");
            }
            catch (InvalidOptionException ex)
            {
                return Problems.Invalid(ex.Option, ex.Problem);
            }

            var report = await drift.CheckAsync(c, last, before, context.RequestAborted);
            if (report is null)
            {
                return Problems.NotFound($"collection '{c}'");
            }

            return format == "html"
                ? Results.Content(Evaluation.Reports.DriftHtml.Render($"Drift: {c}", report, [new("window", $"last {last.TotalHours:0.#} h against the {before.TotalHours:0.#} h before"), new("made", DateTimeOffset.UtcNow.ToString("O"))]), "text/html; charset=utf-8")
                : Results.Ok(new MonitorResult(c, report.Alert, [.. report.Drifted], report));
        }).WithName("Monitor").WithTags("admin").Produces<MonitorResult>().ProducesProblems(400, 404)
            .WithDescription("Drift of the collection's traffic: the query log's last window (default 24h) against the reference span before it (default 7 times the window), per feature (PSI, KS). ?format=html for the report page.");

        admin.MapDelete("/canary", (string c, HttpContext context, CollectionHost host, Canaries canaries) =>
            Catalog(context, c, host, out _) ?? (canaries.Stop(c) ? Results.NoContent() : Problems.NotFound($"a canary on collection '{c}'")))
            .WithName("StopCanary").Produces(StatusCodes.Status204NoContent).ProducesProblems(404);
    }

    private static IResult? Catalog(HttpContext context, string name, CollectionHost host, out IVersionCatalog catalog)
    {
        catalog = null!;
        if (Guard.Check(context, Scopes.Admin, name, host, out _, out var collection) is { } denied)
        {
            return denied;
        }

        if (collection.Versions is not { } versions)
        {
            return Problems.BadRequest($"collection '{name}' keeps no versions (a read-only copy from before versions)");
        }

        catalog = versions;
        return null;
    }

    private static IResult Run(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (InvalidOptionException ex)
        {
            return Problems.Invalid(ex.Option, ex.Problem);
        }
        catch (SiftException ex)
        {
            return Problems.BadRequest(ex.Message);
        }
    }
}

/// <summary>GET /v1/admin/collections/{c}/versions.</summary>
public sealed record VersionList(IReadOnlyDictionary<string, long> Aliases, IReadOnlyList<VersionRecord> Versions);

/// <summary>POST /v1/admin/collections/{c}/aliases/{alias}: the version (number or alias) to point at.</summary>
public sealed record AliasRequest(string? Version);

public sealed record RollbackRequest(string? To);

public sealed record AliasResult(string Alias, long Version);

/// <summary>GET /v1/collections/{c}/monitor.</summary>
public sealed record MonitorResult(string Collection, bool Alert, IReadOnlyList<string> Drifted, Evaluation.Monitoring.DriftReport Report);
