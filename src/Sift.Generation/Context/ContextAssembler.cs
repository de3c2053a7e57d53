using Microsoft.Extensions.Caching.Memory;
using Microsoft.ML.Tokenizers;
using Sift.Core;
using Sift.Core.Stages;

namespace Sift.Generation.Context;

/// <summary>One passage of an assembled context: its citation label ([1], [2], ...), the chunk, and its token cost.</summary>
public sealed record ContextPassage(int Label, RetrievedChunk Chunk, int Tokens)
{
    /// <summary>How the passage appears to the model: label, source, then the text.</summary>
    public string Render() => $"[{Label}] {Chunk.Chunk.DocumentId}{(Chunk.Chunk.HeadingPath.Count > 0 ? " > " + string.Join(" > ", Chunk.Chunk.HeadingPath) : "")}{(Chunk.Chunk.Page is { } page ? $" (page {page})" : "")}\n{Chunk.Chunk.Text}";
}

public sealed record AssembledContext(IReadOnlyList<ContextPassage> Passages, int Tokens, int Dropped);

/// <summary>
/// Builds the context an answerer reads: the retrieved chunks, best first, without duplicates, as many as fit the
/// token budget (counted with a real tokenizer), then ordered so the strongest evidence sits at both edges of the
/// context, where models attend best ("lost in the middle", Liu et al. 2023), and labelled [1], [2], ... in reading order.
/// </summary>
public sealed class ContextAssembler(Tokenizer tokenizer)
{
    /// <summary>
    /// Token counts of rendered passages, by their text: the same chunks come back for many questions, and counting
    /// (a regex pre-tokenizer, then BPE) is the costliest step of assembling. Bounded to this many passages (a few MB).
    /// </summary>
    private const int CountsKept = 4096;

    private readonly MemoryCache _counts = new(new MemoryCacheOptions { SizeLimit = CountsKept });

    /// <summary>The cl100k_base tokenizer (GPT-4 family), a fair estimate for most models.</summary>
    public static Tokenizer DefaultTokenizer { get; } = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    /// <summary>A tiktoken encoding by name: cl100k (GPT-4, GPT-3.5) or o200k (GPT-4o and later).</summary>
    public static Tokenizer TokenizerFor(string name) => name switch
    {
        "cl100k" or "cl100k_base" => DefaultTokenizer,
        "o200k" or "o200k_base" => TiktokenTokenizer.CreateForEncoding("o200k_base"),
        _ => throw new SiftException($"unknown tokenizer '{name}' (use cl100k or o200k)"),
    };

    public int CountTokens(string text) => tokenizer.CountTokens(text);

    public AssembledContext Assemble(IReadOnlyList<RetrievedChunk> ranked, int budgetTokens)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<(RetrievedChunk Chunk, int Tokens)>();
        var used = 0;
        var dropped = 0;
        foreach (var chunk in ranked.OrderBy(c => c.Rank))
        {
            if (!seen.Add(Normalise(chunk.Chunk.Text)))
            {
                continue;
            }

            var tokens = PassageTokens(chunk);
            if (used + tokens > budgetTokens)
            {
                dropped++;
                continue;
            }

            kept.Add((chunk, tokens));
            used += tokens;
        }

        if (kept.Count == 0 && ranked.Count > 0)
        {
            var smallest = ranked.Min(PassageTokens);
            throw new SiftException($"the context budget of {budgetTokens} tokens cannot hold even one passage (the smallest needs {smallest})");
        }

        var ordered = EdgesFirst(kept);
        return new AssembledContext([.. ordered.Select((p, i) => new ContextPassage(i + 1, p.Chunk, p.Tokens))], used, dropped);
    }

    private int PassageTokens(RetrievedChunk chunk)
    {
        var rendered = new ContextPassage(0, chunk, 0).Render();
        return _counts.GetOrCreate(rendered, entry =>
        {
            entry.Size = 1;
            return tokenizer.CountTokens(rendered);
        });
    }

    /// <summary>Ranks 1, 3, 5, ... from the front and 2, 4, 6, ... from the back: the weakest end up in the middle.</summary>
    public static List<T> EdgesFirst<T>(IReadOnlyList<T> bestFirst)
    {
        var front = new List<T>();
        var back = new List<T>();
        for (var i = 0; i < bestFirst.Count; i++)
        {
            (i % 2 == 0 ? front : back).Add(bestFirst[i]);
        }

        back.Reverse();
        return [.. front, .. back];
    }

    private static string Normalise(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
}
