using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Core.Storage;
using Sift.Server.Auth;
using Sift.Server.Rollout;

namespace Sift.Server.WebConsole.Pages;

/// <summary>
/// Administration (admin scope): API keys (created here, the secret shown once; revoked), and each collection's
/// versions and aliases with promote and rollback (which call the admin API) and its canary. Keys open every
/// collection they name, so only an administrator of every collection ('*') manages them.
/// </summary>
internal static class AdminPage
{
    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/admin", (HttpContext context, CollectionHost host, ApiKeyStore keys, Canaries canaries) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller, Scopes.Admin) is { } refused)
            {
                return refused;
            }

            return Render(context, host, keys, canaries, caller, null);
        });

        console.MapPost("/admin/keys", async (HttpContext context, CollectionHost host, ApiKeyStore keys, Canaries canaries) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller, Scopes.Admin) is { } refused)
            {
                return refused;
            }

            if (!ManagesKeys(caller))
            {
                return Render(context, host, keys, canaries, caller, ConsoleLayout.Notice("Only an administrator of every collection ('*') manages keys."));
            }

            var form = await ConsoleEndpoints.ReadFormAsync(context);
            var name = form["name"].ToString().Trim();
            var scopes = form["scopes"].Where(s => Scopes.All.Contains(s)).Select(s => s!).ToList();
            var collections = Split(form["collections"].ToString());
            var groups = Split(form["groups"].ToString());
            var problems = new List<string>();
            if (name.Length is 0 or > 100)
            {
                problems.Add("a name (up to 100 characters) is required");
            }

            if (scopes.Count == 0)
            {
                problems.Add("choose at least one scope");
            }

            if (collections.Count == 0)
            {
                problems.Add("name the collections the key may use ('*' for all)");
            }

            // A key made here holds at most what its maker holds: no scope, and no group to read documents by, beyond
            // the maker's own (the operator's CLI makes any key).
            if (!caller.IsAnonymous && scopes.FirstOrDefault(s => !caller.Has(s)) is { } scope)
            {
                problems.Add($"your key does not have the '{scope}' scope, so it cannot give it");
            }

            if (!caller.IsAnonymous && groups.FirstOrDefault(g => !caller.Access.Principals.Contains(g)) is { } group)
            {
                problems.Add($"your key is not in '{group}', so it cannot give it");
            }

            if (problems.Count > 0)
            {
                return Render(context, host, keys, canaries, caller, ConsoleLayout.Notice($"The key was not created: {string.Join("; ", problems)}."));
            }

            var (key, secret) = keys.Create(name, scopes, collections, groups);
            return Render(context, host, keys, canaries, caller, Html.Of($"""
                <div class="notice ok" role="status">
                <p>Key <strong>{key.Name}</strong> ({key.Id}) created. Copy it now: it is shown only this once.</p>
                <p><code id="new-key" class="secret">{secret}</code></p>
                </div>
                """));
        });

        console.MapPost("/admin/keys/{id}/revoke", (string id, HttpContext context, CollectionHost host, ApiKeyStore keys, Canaries canaries) =>
        {
            if (ConsoleEndpoints.SignedIn(context, out var caller, Scopes.Admin) is { } refused)
            {
                return refused;
            }

            if (!ManagesKeys(caller) || keys.List().All(k => k.Id != id))
            {
                return Render(context, host, keys, canaries, caller, ConsoleLayout.Notice($"Key '{id}' was not revoked: not found."));
            }

            try
            {
                keys.Revoke(id);
            }
            catch (Core.SiftException ex)
            {
                return Render(context, host, keys, canaries, caller, ConsoleLayout.Notice($"Key '{id}' was not revoked: {ex.Message}"));
            }

            return Render(context, host, keys, canaries, caller, ConsoleLayout.Notice($"Key '{id}' revoked: it no longer authenticates.", "ok"));
        });
    }

    private static bool ManagesKeys(Caller caller) => caller.IsAnonymous || caller.CanUse("*");

    private static List<string> Split(string text) =>
        [.. text.Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];

    private static IResult Render(HttpContext context, CollectionHost host, ApiKeyStore keys, Canaries canaries, Caller caller, Markup? message) =>
        ConsoleLayout.Page(context, "Admin", Html.Of($"""
            {message ?? Markup.Empty}
            {(ManagesKeys(caller) ? Keys(context, keys) : Markup.Empty)}
            <h2>Versions and aliases</h2>
            {Html.Each(host.Names.Where(caller.CanUse), name => Versions(name, host, canaries))}
            """));

    private static Markup Keys(HttpContext context, ApiKeyStore keys) => Html.Of($"""
        <h2>API keys</h2>
        <div class="scroll"><table class="keys">
        <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Scopes</th><th scope="col">Collections</th><th scope="col">Groups</th><th scope="col">Created</th><th scope="col">State</th></tr></thead>
        <tbody>{Html.Each(keys.List(), k => Html.Of($"""
            <tr><th scope="row">{k.Name}</th><td><code>{k.Id}</code></td><td>{string.Join(", ", k.Scopes)}</td><td>{string.Join(", ", k.Collections)}</td><td>{string.Join(", ", k.Groups)}</td>
            <td>{k.Created.UtcDateTime:yyyy-MM-dd HH:mm}</td>
            <td>{(k.Revoked is { } revoked ? Html.Of($"revoked {revoked.UtcDateTime:yyyy-MM-dd HH:mm}") : Html.Of($"""
                <form method="post" action="/console/admin/keys/{k.Id}/revoke" class="inline" data-confirm="Revoke key {k.Name}? Clients using it stop working at once.">{ConsoleLayout.TokenField(context)}<button type="submit" class="danger">Revoke</button></form>
                """))}</td></tr>
            """))}</tbody>
        </table></div>
        <form method="post" action="/console/admin/keys" class="card">
        {ConsoleLayout.TokenField(context)}
        <h3>Create a key</h3>
        <div class="row">
        <label>Name <input name="name" required maxlength="100" placeholder="support-bot"></label>
        <label>Collections <input name="collections" required placeholder="handbook, faq (or *)"></label>
        <label>Groups <input name="groups" placeholder="group:support"></label>
        </div>
        <fieldset class="row"><legend>Scopes</legend>{Html.Each(Scopes.All, s => Html.Of($"<label class=\"check\"><input type=\"checkbox\" name=\"scopes\" value=\"{s}\"{(s == Scopes.Read ? new Markup(" checked") : Markup.Empty)}> {s}</label>"))}</fieldset>
        <button type="submit" class="primary">Create key</button>
        </form>
        """);

    private static Markup Versions(string name, CollectionHost host, Canaries canaries)
    {
        if (host.Find(name)?.Versions is not { } catalog)
        {
            return Html.Of($"<h3>{name}</h3>{ConsoleLayout.Notice("This collection keeps no versions.", "info")}");
        }

        var aliases = catalog.Aliases();
        var api = $"/v1/admin/collections/{Uri.EscapeDataString(name)}";
        var prod = aliases.GetValueOrDefault(VersionAliases.Production);
        var canary = canaries.Find(name)?.Status();
        return Html.Of($"""
            <section class="collection-versions" aria-labelledby="versions-{name}">
            <h3 id="versions-{name}">{name}</h3>
            <p class="meta">Aliases: {(aliases.Count == 0 ? "none" : string.Join(", ", aliases.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Key} → {a.Value}"))))}
            {Html.If(aliases.ContainsKey(VersionAliases.Production), () => Html.Of($"""<button type="button" data-api="{api}/aliases/{VersionAliases.Production}/rollback" data-confirm="Roll prod of {name} back to the version it pointed at before?">Roll back prod</button>"""))}</p>
            {Html.If(canary is not null, () => Html.Of($"""
                <p class="notice info">Canary {canary!.State}: version {canary.CandidateVersion} against {canary.BaselineVersion}; {canary.CandidateRequests} candidate and {canary.BaselineRequests} baseline requests{(canary.Reason is null ? "" : "; " + canary.Reason)}.</p>
                """))}
            <div class="scroll"><table class="versions">
            <thead><tr><th scope="col" class="num">Version</th><th scope="col">Aliases</th><th scope="col">Change</th><th scope="col">By</th><th scope="col">When</th><th scope="col" class="num">Documents</th><th scope="col">Note</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{Html.Each(catalog.List().Reverse(), v => Html.Of($"""
                <tr><th scope="row" class="num">{v.Id}</th><td>{string.Join(", ", aliases.Where(a => a.Value == v.Id).Select(a => a.Key))}</td><td>{v.Change}</td><td>{v.CreatedBy}</td><td>{v.CreatedAt}</td><td class="num">{v.Documents}</td><td>{v.Note}</td>
                <td>{Html.If(v.Id != prod, () => Html.Of($"""<button type="button" data-api="{api}/aliases/{VersionAliases.Production}" data-body="{System.Text.Json.JsonSerializer.Serialize(new { version = v.Id.ToString(CultureInfo.InvariantCulture) })}" data-confirm="Point prod of {name} at version {v.Id}?">Promote to prod</button>"""))}</td></tr>
                """))}</tbody>
            </table></div>
            </section>
            """);
    }
}
