using Sift.Core;
using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Ingest.Chunking;

/// <summary>Windows of <c>size</c> words; consecutive windows share <c>overlap</c> words so no sentence is cut off from its context.</summary>
public sealed class FixedTokenChunker : IChunker
{
    private readonly int _size;
    private readonly int _overlap;

    public FixedTokenChunker(int size, int overlap)
    {
        if (size < 1)
        {
            throw new SiftException($"chunk size must be at least 1 (got {size})");
        }

        if (overlap < 0 || overlap >= size)
        {
            throw new SiftException($"chunk overlap must be between 0 and size - 1 = {size - 1} (got {overlap})");
        }

        _size = size;
        _overlap = overlap;
    }

    public string Fingerprint => $"fixed(size={_size},overlap={_overlap})";

    public IReadOnlyList<Chunk> Split(SourceDocument document)
    {
        var words = new WordSpans(document.Text);
        var spans = new List<(int, int)>();
        for (var first = 0; first < words.Count; first += _size - _overlap)
        {
            var last = Math.Min(first + _size, words.Count) - 1;
            spans.Add((words.Start(first), words.End(last)));
            if (last == words.Count - 1)
            {
                break;
            }
        }

        return ChunkBuilder.FromSpans(document, spans);
    }
}
