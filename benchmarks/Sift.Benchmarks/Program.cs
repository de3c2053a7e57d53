using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sift.Benchmarks.Engines;
using Sift.Benchmarks.Vectors;
using Sift.Evaluation;
using Sift.Evaluation.Beir;
using Sift.Evaluation.Metrics;

// Usage (dotnet run -c Release --project benchmarks/Sift.Benchmarks -- ...):
//   engines [--engine KEY] DATASET_DIR...
//                                 BM25 engines compared: quality, index time, query latency, disk size (KEY: sift,
//                                 lucene-net, fts5-porter, fts5-analyzed; run-bm25-engines.sh runs each in its own process)
//   engines-export DATASET_DIR OUT_DIR   corpus.tsv and queries.tsv for the Java Lucene harness
//   engines-score DATASET_DIR RUN_FILE   nDCG@10 and Recall@100 of a TREC run file, with Sift's evaluator
//   vectors-synthetic OUT_DIR [COUNT]
//                                 COUNT (200,000) clustered 384-d vectors: Sift HNSW recall/QPS, build time, exact-scan
//                                 GB/s; writes data.f32, queries.f32, truth.i32 for the Node.js peers (run-vector-peers.sh)
//   vectors-beir [--out DIR] DATASET_DIR...
//                                 the same on corpora embedded with Sift's offline embedder (--out: files for the peers
//                                 in DIR/<dataset>)
//   access DATASET_DIR            BM25 with statistics over a caller's visible documents vs the whole index
//   support SCIFACT_DIR           the offline citation support check on SciFact claims (threshold from train, test reported)
//   canary [RUNS]                 simulated canaries: false rollbacks over A/A runs, requests until a degraded one is rolled back
//   drift SCIFACT_DIR NFCORPUS_DIR [WINDOW]
//                                 drift alerts on same-distribution windows (false alarms) and on a planted shift
//   ablation STORE COLLECTION DATASET_DIR
//                                 the learned ranker trained with each feature group left out, on train, scored on test
//   ranker-dev STORE COLLECTION DATASET_DIR SPLIT
//                                 the learned ranker's training settings, with and without judged priors, trained on
//                                 train and scored on SPLIT (dev: how the settings were chosen)
//   general-ranker STORE OUT_JSON DATASET_DIR...
//                                 the general ranker trained on every dataset's train split (each over the collection
//                                 of its name in STORE), without judged priors; written to OUT_JSON
//   pubmedqa-beir PUBMEDQA_DIR OUT_DIR
//                                 PubMedQA PQA-L as a BEIR retrieval folder (a question's abstract is its relevant document)
//   guardrails-bipia BIPIA_DIR OUT_JSONL
//                                 a labelled prompt-injection set for sift eval guardrails: BIPIA's training attacks in
//                                 its contexts (start, middle, end), the contexts clean, and Debian README look-alikes
//   guardrails-pii OUT_JSONL SEED
//                                 a labelled personal-data set for sift eval pii, generated with Bogus in several
//                                 locales, with hard negatives and checksum look-alikes
//   guardrails-latency DATASET_DIR
//                                 the guardrails over a corpus: ms per passage, per query and per ingested chunk, how
//                                 many ordinary documents the injection rules flag, and the personal data found
//   rerank STORE COLLECTION DATASET_DIR
//                                 a trained collection's rerank stage alone, per test query on one thread (p50, p99)
//   console-pages BASE_URL KEY COLLECTION [TRAFFIC]
//                                 the console's page weight (first visit, gzipped) and server time per page, against a
//                                 running sift serve (run-console-pages.sh seeds it)
//   sql-bm25 POSTGRES_ADDRESS DATASET_DIR
//                                 BM25 for a PostgreSQL store in memory (Sift's choice) vs in SQL over a postings table
switch (args.FirstOrDefault())
{
    case "canary" when args.Length is 1 or 2:
        return Sift.Benchmarks.MonitoringCommand.Canary(args.Length == 2 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200);
    case "drift" when args.Length is 3 or 4:
        return await Sift.Benchmarks.MonitoringCommand.Drift(args[1], args[2], args.Length == 4 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 150);
    case "support" when args.Length == 2:
        return Sift.Benchmarks.SupportCommand.Run(args[1]);
    case "ablation" when args.Length == 4:
        return await Sift.Benchmarks.AblationCommand.Run(args[1], args[2], args[3]);
    case "ranker-dev" when args.Length == 5:
        return await Sift.Benchmarks.RankerDevCommand.Run(args[1], args[2], args[3], args[4]);
    case "general-ranker" when args.Length >= 4:
        return await Sift.Benchmarks.GeneralRankerCommand.Train(args[1], args[2], args[3..]);
    case "pubmedqa-beir" when args.Length == 3:
        return Sift.Benchmarks.GeneralRankerCommand.PubMedQa(args[1], args[2]);
    case "guardrails-bipia" when args.Length == 3:
        return Sift.Benchmarks.GuardrailDataCommand.Run(args[1], args[2]);
    case "guardrails-pii" when args.Length == 3:
        return Sift.Benchmarks.PiiDataCommand.Run(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
    case "guardrails-latency" when args.Length == 2:
        return Sift.Benchmarks.GuardrailLatencyCommand.Run(args[1]);
    case "rerank" when args.Length == 4:
        return await Sift.Benchmarks.RerankCommand.Run(args[1], args[2], args[3]);
    case "console-pages" when args.Length is 4 or 5:
        return await Sift.Benchmarks.ConsolePagesCommand.Run(args[1], args[2], args[3], args.Length == 5 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 500);
    case "sql-bm25" when args.Length == 3:
        return await Sift.Benchmarks.SqlBm25Command.Run(args[1], args[2]);
    case "access" when args.Length == 2:
        return Sift.Benchmarks.AccessCommand.Run(args[1]);
    case "vectors-synthetic" when args.Length is 2 or 3:
        return VectorCommands.Synthetic(args[1], args.Length == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200_000);
    case "vectors-beir" when args.Length >= 4 && args[1] == "--out":
        return VectorCommands.Beir(args[3..], args[2]);
    case "vectors-beir" when args.Length >= 2:
        return VectorCommands.Beir(args[1..], null);
    case "engines" when args.Length >= 2:
        break;
    case "engines-export" when args.Length == 3:
        return EnginesCommand.Export(args[1], args[2]);
    case "engines-score" when args.Length == 3:
        return await EnginesCommand.Score(args[1], args[2]);
    default:
        Console.Error.WriteLine("usage: Sift.Benchmarks engines [--engine KEY] DATASET_DIR... | engines-export DATASET_DIR OUT_DIR | engines-score DATASET_DIR RUN_FILE | vectors-synthetic OUT_DIR [COUNT] | vectors-beir [--out DIR] DATASET_DIR... | access DATASET_DIR | support SCIFACT_DIR | canary [RUNS] | drift SCIFACT_DIR NFCORPUS_DIR [WINDOW] | ablation STORE COLLECTION DATASET_DIR | rerank STORE COLLECTION DATASET_DIR | console-pages BASE_URL KEY COLLECTION [TRAFFIC] | sql-bm25 POSTGRES_ADDRESS DATASET_DIR");
        return 2;
}

return await EnginesCommand.Run(args[1..]);

/// <summary>A BEIR corpus.jsonl as records.</summary>
internal static class Corpus
{
    public static List<CorpusRecord> Read(string path) =>
    [.. File.ReadLines(path).Where(l => l.Length > 0).Select(line =>
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        return new CorpusRecord(
            root.GetProperty("_id").GetString()!,
            root.TryGetProperty("title", out var title) ? title.GetString() ?? "" : "",
            root.TryGetProperty("text", out var text) ? text.GetString() ?? "" : "");
    })];
}
