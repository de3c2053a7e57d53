using Sift.Core.Stages;

namespace Sift.Ingest.Loading;

/// <summary>Picks the loader for a file by extension.</summary>
public sealed class LoaderRegistry
{
    private readonly Dictionary<string, IDocumentLoader> _byExtension = new(StringComparer.OrdinalIgnoreCase);

    public LoaderRegistry(IEnumerable<IDocumentLoader> loaders)
    {
        foreach (var loader in loaders)
        {
            foreach (var extension in loader.Extensions)
            {
                _byExtension[extension] = loader;
            }
        }
    }

    /// <summary>The loaders for txt, md, rst, html, pdf, docx, csv/tsv, source code and BEIR jsonl.</summary>
    public static LoaderRegistry Default { get; } =
        new([
            new TextLoader(), new MarkdownLoader(), new RstLoader(), new HtmlLoader(), new PdfLoader(), new DocxLoader(),
            new CsvLoader(), new CodeLoader(), new BeirJsonlLoader(),
        ]);

    public IEnumerable<string> Extensions => _byExtension.Keys.Order(StringComparer.Ordinal);

    public IDocumentLoader? For(string path) => _byExtension.GetValueOrDefault(Path.GetExtension(path));

    /// <summary>The loaders for one run over <paramref name="files"/>, each prepared with the files it will read.</summary>
    public LoaderRegistry ForRun(IReadOnlyList<string> files)
    {
        var distinct = _byExtension.Values.Distinct().ToList();
        var prepared = distinct.ToDictionary(
            loader => loader,
            loader => loader.ForRun([.. files.Where(f => For(f) == loader)]));
        var run = new LoaderRegistry([]);
        foreach (var (extension, loader) in _byExtension)
        {
            run._byExtension[extension] = prepared[loader];
        }

        return run;
    }
}
