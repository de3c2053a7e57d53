using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Sift.Composition;
using Sift.Core;
using Sift.Core.Filtering;
using Sift.Core.Storage;
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
    private const int MaxAclChars = 64 * 1024;

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
                if (context.Request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true)
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

            var job = jobs.Enqueue(id, c, caller.Subject, new JobWriter(caller.Id, [.. caller.Access.Principals]), acl);
            return Results.Accepted($"/v1/jobs/{id}", job);
        }).WithName("UploadDocuments").WithTags("documents").DisableAntiforgery()
            .Accepts<DocumentsUpload>("application/json", "multipart/form-data")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // Accepts gives both media types the JSON schema; a form carries files and an acl field instead.
                operation.RequestBody?.Content?["multipart/form-data"].Schema = OpenApiSchemas.UploadForm();
                return Task.CompletedTask;
            })
            .WithDescription("Body: JSON {documents: [{id, title?, text, metadata?, acl?}]}, or multipart/form-data files (every type sift ingest reads: .txt .md .rst .html .pdf .docx .csv .tsv .jsonl, source code such as .py .cs .ts; or a .zip of them) with an optional 'acl' field.")
            .Produces<IngestJob>(StatusCodes.Status202Accepted).ProducesProblems(400, 404, 413, 415);

        app.MapGet("/v1/jobs/{id}", (string id, HttpContext context, IngestJobs jobs) =>
        {
            // Ingest keys follow their own jobs; admin keys every job of their collections.
            if (Guard.Check(context, Scopes.Ingest, out var caller) is { } denied && Caller.Of(context)?.Has(Scopes.Admin) != true)
            {
                return denied;
            }

            var job = jobs.Get(id);
            return job is not null && (job.Caller == caller.Subject || caller.Has(Scopes.Admin) && caller.CanUse(job.Collection))
                ? Results.Ok(job)
                : Problems.NotFound($"job '{id}'");
        }).WithName("GetJob").WithTags("documents").Produces<IngestJob>().ProducesProblems(404);

        app.MapDelete("/v1/collections/{c}/documents/{**id}", (string c, string id, HttpContext context, CollectionHost host, ServerOptions options) =>
        {
            if (Guard.Check(context, Scopes.Ingest, c, host, out var caller, out var collection) is { } denied)
            {
                return denied;
            }

            id = DocumentIdAsSent(context) ?? id;

            // A document the caller may not see is, to them, a document that does not exist.
            if (collection.Document(id) is not { } held || !caller.Access.Allows(held.Document.Metadata))
            {
                return Problems.NotFound($"document '{id}'");
            }

            collection.Delete([id]);
            CollectionVersions.Record(collection, new VersionChange("delete", caller.Subject, id, [options.Prompt.Version]));
            return Results.NoContent();
        }).WithName("DeleteDocument").WithTags("documents").Produces(StatusCodes.Status204NoContent).ProducesProblems(404);
    }

    /// <summary>
    /// Streams a multipart upload straight into the upload folder, part by part (no buffering of the body in memory or
    /// in a temporary file). Form field "acl" (comma-separated principals) applies to every file.
    /// </summary>
    /// <returns>A problem, or null and the encoded access list (null when none was given).</returns>
    private static async Task<(IResult? Problem, string? Acl)> SaveFilesAsync(HttpRequest request, string folder, ServerLimits limits)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return (Problems.UnsupportedMediaType("send files as multipart/form-data (with a boundary), or application/json {\"documents\": [...]}"), null);
        }

        var upload = new UploadFolder(folder, limits.MaxUploadBytes);
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = limits.MaxUploadBytes };
        var cancel = request.HttpContext.RequestAborted;
        List<string>? acl = null;
        var files = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(cancel) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    return (Problems.Invalid("files", "a part of the upload has no Content-Disposition"), null);
                }

                if (disposition.IsFileDisposition())
                {
                    var name = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                    await upload.AddAsync(name, section.Body, cancel);
                    files++;
                }
                else if (HeaderUtilities.RemoveQuotes(disposition.Name).Value == AccessScope.MetadataKey)
                {
                    using var text = new StreamReader(section.Body);
                    var buffer = new char[MaxAclChars + 1];
                    var length = await text.ReadBlockAsync(buffer, cancel);
                    if (length > MaxAclChars)
                    {
                        return (Problems.Invalid(AccessScope.MetadataKey, $"is longer than {MaxAclChars} characters"), null);
                    }

                    var value = new string(buffer, 0, length);
                    (acl ??= []).AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                }
            }
        }
        catch (InvalidDataException ex)
        {
            return (Problems.Invalid("files", ex.Message), null);
        }
        catch (UnsupportedUpload ex)
        {
            return (Problems.UnsupportedMediaType(ex.Message), null);
        }
        catch (UploadTooLarge ex)
        {
            return (Problems.TooLarge(ex.Message), null);
        }
        catch (IOException ex) when (!cancel.IsCancellationRequested)
        {
            // A body that ends before its closing boundary, or is not multipart at all.
            return (Problems.Invalid("files", $"the multipart body is malformed or ended early ({ex.Message})"), null);
        }

        if (files == 0)
        {
            return (Problems.Invalid("files", "attach at least one file"), null);
        }

        try
        {
            // A field that is present but names no principal (",,,") is refused rather than making the files public.
            return (null, acl is null ? null : AccessScope.Encode(acl));
        }
        catch (SiftException ex)
        {
            return (Problems.Invalid(AccessScope.MetadataKey, ex.Message), null);
        }
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
            return JsonProblems.Describe(ex);
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
            if (document is null)
            {
                errors[$"documents[{i}]"] = ["must be an object {id, title?, text, metadata?, acl?}"];
                continue;
            }

            if (string.IsNullOrWhiteSpace(document.Id))
            {
                errors[$"documents[{i}].id"] = ["is required"];
            }
            else if (Validation.DocumentIdProblem(document.Id) is { } problem)
            {
                errors[$"documents[{i}].id"] = [problem];
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
            if (document.Acl is { } acl)
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

    /// <summary>
    /// The id exactly as the client encoded it. Routing decodes every escape except %2F (which generated clients
    /// send for "/" inside an id), so decoding its value again would turn a literal "%20" in an id into a space;
    /// the raw request target is decoded once instead.
    /// </summary>
    private static string? DocumentIdAsSent(HttpContext context)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        var path = target?.Split('?', 2)[0].Split('/');
        return path is { Length: > 5 } ? Uri.UnescapeDataString(string.Join('/', path[5..])) : null;
    }
}
