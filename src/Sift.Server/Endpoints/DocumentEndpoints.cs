using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Server.Auth;
using Sift.Server.Http;
using Sift.Server.Jobs;

namespace Sift.Server.Endpoints;

/// <summary>
/// Uploads (multipart files, zip archives, or JSON records) become background ingestion jobs; documents can be deleted.
/// Names are checked before anything is written: absolute paths, "..", and zip entries that would land outside the
/// upload folder (zip-slip) are rejected.
/// </summary>
internal static class DocumentEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/collections/{c}/documents", async (string c, HttpContext context, CollectionHost host, IngestJobs jobs, ServerOptions options) =>
        {
            if (Guard.Check(context, Scopes.Ingest, out var caller) is { } denied)
            {
                return denied;
            }

            if (!caller.CanUse(c))
            {
                return Problems.NotFound($"collection '{c}'");
            }

            var (id, folder) = jobs.NewUpload();
            string? acl = null;
            try
            {
                IResult? problem;
                if (context.Request.HasFormContentType)
                {
                    (problem, acl) = await SaveFilesAsync(context.Request, folder, options.Limits);
                }
                else
                {
                    problem = await SaveRecordsAsync(context.Request, folder);
                }

                if (problem is not null)
                {
                    jobs.DiscardUpload(id);
                    return problem;
                }

                host.FindOrCreate(c);
            }
            catch (SiftException ex)
            {
                jobs.DiscardUpload(id);
                return Problems.Invalid("collection", ex.Message);
            }
            catch
            {
                jobs.DiscardUpload(id);
                throw;
            }

            var job = jobs.Enqueue(id, c, caller.Subject, acl);
            return Results.Accepted($"/v1/jobs/{id}", job);
        }).WithName("UploadDocuments").WithTags("documents").DisableAntiforgery()
            .WithDescription("Body: JSON {documents: [{id, title?, text, metadata?, acl?}]}, or multipart/form-data files (.txt .md .html .pdf .jsonl, or a .zip of them) with an optional 'acl' field.")
            .Produces<IngestJob>(StatusCodes.Status202Accepted).ProducesProblems(400, 404, 413, 415);

        app.MapGet("/v1/jobs/{id}", (string id, HttpContext context, IngestJobs jobs) =>
        {
            if (Guard.Check(context, Scopes.Ingest, out var caller) is { } denied)
            {
                return denied;
            }

            var job = jobs.Get(id);
            return job is not null && (job.Caller == caller.Subject || caller.Has(Scopes.Admin) && caller.CanUse(job.Collection))
                ? Results.Ok(job)
                : Problems.NotFound($"job '{id}'");
        }).WithName("GetJob").WithTags("documents").Produces<IngestJob>().ProducesProblems(404);

        app.MapDelete("/v1/collections/{c}/documents/{**id}", (string c, string id, HttpContext context, CollectionHost host) =>
        {
            if (Guard.Check(context, Scopes.Ingest, c, host, out var caller, out var collection) is { } denied)
            {
                return denied;
            }

            // A document the caller may not see is, to them, a document that does not exist.
            var metadata = collection.LexicalIndex(Index.Lexical.Bm25Parameters.Default).DocumentMetadata;
            if (!metadata.TryGetValue(id, out var values) || !caller.Access.Allows(values))
            {
                return Problems.NotFound($"document '{id}'");
            }

            collection.Delete([id]);
            return Results.NoContent();
        }).WithName("DeleteDocument").WithTags("documents").Produces(StatusCodes.Status204NoContent).ProducesProblems(404);
    }

    /// <returns>A problem, or null and the access list given for every file (form field "acl", comma-separated).</returns>
    private static async Task<(IResult? Problem, string? Acl)> SaveFilesAsync(HttpRequest request, string folder, ServerLimits limits)
    {
        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (form.Files.Count == 0)
        {
            return (Problems.Invalid("files", "attach at least one file"), null);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var acl = form["acl"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        foreach (var file in form.Files)
        {
            string name;
            try
            {
                name = Validation.ValidateDocumentPath(file.FileName);
            }
            catch (SiftException ex)
            {
                errors[$"files.{file.FileName}"] = [ex.Message];
                continue;
            }

            var extension = Path.GetExtension(name).ToLowerInvariant();
            if (!ServerLimits.UploadExtensions.Contains(extension))
            {
                return (Problems.UnsupportedMediaType($"{name}: only {string.Join(", ", ServerLimits.UploadExtensions)} files are accepted"), null);
            }

            if (extension == ".zip")
            {
                await using var stream = file.OpenReadStream();
                if (ExtractZip(stream, folder, limits) is { } problem)
                {
                    return (problem, null);
                }

                continue;
            }

            var target = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var output = File.Create(target);
            await file.CopyToAsync(output, request.HttpContext.RequestAborted);
        }

        if (errors.Count > 0)
        {
            return (Problems.Invalid(errors), null);
        }

        try
        {
            return (null, acl.Count > 0 ? AccessScope.Encode(acl) : null);
        }
        catch (SiftException ex)
        {
            return (Problems.Invalid("acl", ex.Message), null);
        }
    }

    private static IResult? ExtractZip(Stream stream, string folder, ServerLimits limits)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read);
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        long total = 0;
        foreach (var entry in archive.Entries.Where(e => !e.FullName.EndsWith('/')))
        {
            var target = Path.GetFullPath(Path.Combine(folder, entry.FullName));
            if (!target.StartsWith(root, StringComparison.Ordinal) || entry.FullName.Contains("..", StringComparison.Ordinal))
            {
                return Problems.Invalid("files", $"zip entry '{entry.FullName}' points outside the upload (zip-slip)");
            }

            if (!ServerLimits.UploadExtensions.Contains(Path.GetExtension(entry.Name).ToLowerInvariant()) || entry.Name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                return Problems.UnsupportedMediaType($"zip entry '{entry.FullName}': only {string.Join(", ", ServerLimits.UploadExtensions.Where(e => e != ".zip"))} files are accepted");
            }

            total += entry.Length;
            if (total > limits.MaxUploadBytes)
            {
                return Problems.TooLarge($"the archive expands beyond {limits.MaxUploadBytes} bytes");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            entry.ExtractToFile(target);
        }

        return null;
    }

    private static async Task<IResult?> SaveRecordsAsync(HttpRequest request, string folder)
    {
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return Problems.UnsupportedMediaType("send multipart/form-data files or application/json {\"documents\": [...]}");
        }

        DocumentsUpload? upload;
        try
        {
            upload = await request.ReadFromJsonAsync<DocumentsUpload>(request.HttpContext.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Problems.Invalid("body", $"not valid JSON ({ex.Message.Split('.')[0]})");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var documents = upload?.Documents ?? [];
        if (documents.Length == 0)
        {
            errors["documents"] = ["must hold at least one document"];
        }

        var lines = new List<string>();
        for (var i = 0; i < documents.Length; i++)
        {
            var document = documents[i];
            if (string.IsNullOrWhiteSpace(document.Id))
            {
                errors[$"documents[{i}].id"] = ["is required"];
            }

            if (string.IsNullOrWhiteSpace(document.Text))
            {
                errors[$"documents[{i}].text"] = ["is required"];
            }

            if (document.Metadata?.ContainsKey(AccessScope.MetadataKey) == true)
            {
                errors[$"documents[{i}].metadata.{AccessScope.MetadataKey}"] = ["is reserved: use \"acl\""];
            }

            var metadata = new Dictionary<string, string>(document.Metadata ?? [], StringComparer.Ordinal);
            if (document.Acl is { Length: > 0 } acl)
            {
                try
                {
                    metadata[AccessScope.MetadataKey] = AccessScope.Encode(acl);
                }
                catch (SiftException ex)
                {
                    errors[$"documents[{i}].acl"] = [ex.Message];
                }
            }

            lines.Add(JsonSerializer.Serialize(new Dictionary<string, object?> { ["_id"] = document.Id, ["title"] = document.Title ?? "", ["text"] = document.Text, ["metadata"] = metadata }));
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        await File.WriteAllLinesAsync(Path.Combine(folder, "records.jsonl"), lines);
        return null;
    }
}
