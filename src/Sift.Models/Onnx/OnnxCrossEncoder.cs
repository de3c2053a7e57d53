using Sift.Core.Documents;
using Sift.Core.Stages;

namespace Sift.Models.Onnx;

/// <summary>
/// A cross-encoder reranker (ms-marco-MiniLM style): reads "[CLS] query [SEP] passage [SEP]" and outputs one
/// relevance logit per pair. Passages are truncated to fit the window; pairs run in batches grouped by length.
/// </summary>
public sealed class OnnxCrossEncoder : IReranker, IDisposable
{
    private readonly OnnxModelFolder _model;
    private readonly BertSession _session;
    private readonly int _batchSize;

    public OnnxCrossEncoder(OnnxModelFolder model, int batchSize = 16)
    {
        _model = model;
        _batchSize = batchSize;
        _session = new BertSession(model.ModelPath);
    }

    public string Name => _model.Name;

    public Task<IReadOnlyList<RetrievedChunk>> RerankAsync(string query, IReadOnlyList<RetrievedChunk> candidates, CancellationToken cancellationToken = default)
    {
        var queryIds = _model.Tokenizer.EncodeToIds(query, addSpecialTokens: false);
        var inputs = candidates.Select(c => Pair(queryIds, ModelText.Of(c.Chunk))).ToList();
        var scores = new double[candidates.Count];
        _session.Run(inputs, _batchSize, (i, output, _) => scores[i] = output[^1]);
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<RetrievedChunk> reranked = [.. candidates
            .Select((c, i) => (Chunk: c, Score: scores[i]))
            .OrderByDescending(p => p.Score)
            .ThenBy(p => p.Chunk.Chunk.Id)
            .Select((p, rank) => p.Chunk with { Score = p.Score, Rank = rank + 1 })];
        return Task.FromResult(reranked);
    }

    private TokenizedInput Pair(IReadOnlyList<int> queryIds, string passage)
    {
        // Keep the whole query (up to half the window) and as much passage as fits.
        var query = queryIds.Take(_model.MaxTokens / 2).ToList();
        var room = _model.MaxTokens - query.Count - 3;
        var passageIds = _model.Tokenizer.EncodeToIds(passage, room, addSpecialTokens: false, out _, out _);
        return new TokenizedInput(
            [.. _model.Tokenizer.BuildInputsWithSpecialTokens(query, passageIds)],
            [.. _model.Tokenizer.CreateTokenTypeIdsFromSequences(query, passageIds)]);
    }

    public void Dispose() => _session.Dispose();
}
