// Java Lucene (Debian's liblucene8-java) on a corpus exported by `Sift.Benchmarks engines-export`: EnglishAnalyzer,
// BM25Similarity with Sift's k1 and b, title and text in one field (as Pyserini's flat index and the Lucene.NET harness),
// ids from an array read once after indexing (as Sift returns ids from memory). Timing follows Sift's LatencyBenchmark:
// at least 3 s of passes over the queries, then until two in a row agree within 5% (at most 200), then 20 timed passes
// one query at a time;
// throughput is the median pass with the slowest and fastest. Writes the top 100 per query as a TREC run for
// `Sift.Benchmarks engines-score` (one evaluator for every engine) and prints one RESULT line.
// Usage: java -cp ... LuceneBench CORPUS.tsv QUERIES.tsv INDEX_DIR RUN_FILE K1 B
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.*;
import org.apache.lucene.index.*;
import org.apache.lucene.search.*;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;

public final class LuceneBench {
    private static final String CONTENTS = "contents";

    public static void main(String[] args) throws Exception {
        Path corpus = Paths.get(args[0]), queriesFile = Paths.get(args[1]), indexDir = Paths.get(args[2]), runFile = Paths.get(args[3]);
        float k1 = Float.parseFloat(args[4]), b = Float.parseFloat(args[5]);
        Analyzer analyzer = new EnglishAnalyzer();
        BM25Similarity similarity = new BM25Similarity(k1, b);

        long buildStart = System.nanoTime();
        try (FSDirectory directory = FSDirectory.open(indexDir)) {
            IndexWriterConfig config = new IndexWriterConfig(analyzer).setSimilarity(similarity).setOpenMode(IndexWriterConfig.OpenMode.CREATE);
            try (IndexWriter writer = new IndexWriter(directory, config); BufferedReader reader = Files.newBufferedReader(corpus, StandardCharsets.UTF_8)) {
                for (String line; (line = reader.readLine()) != null; ) {
                    String[] fields = line.split("\t", -1);
                    Document document = new Document();
                    document.add(new StringField("id", fields[0], Field.Store.YES));
                    document.add(new TextField(CONTENTS, fields[1] + "\n" + fields[2], Field.Store.NO));
                    writer.addDocument(document);
                }
                writer.commit();
            }
            double buildSeconds = (System.nanoTime() - buildStart) / 1e9;

            try (DirectoryReader index = DirectoryReader.open(directory)) {
                IndexSearcher searcher = new IndexSearcher(index);
                searcher.setSimilarity(similarity);
                String[] idByDoc = new String[index.maxDoc()];
                for (int doc = 0; doc < idByDoc.length; doc++) {
                    idByDoc[doc] = index.document(doc).get("id");
                }

                List<String[]> queries = new ArrayList<>();
                for (String line : Files.readAllLines(queriesFile, StandardCharsets.UTF_8)) {
                    queries.add(line.split("\t", 2));
                }

                try (PrintWriter run = new PrintWriter(Files.newBufferedWriter(runFile, StandardCharsets.UTF_8))) {
                    for (String[] query : queries) {
                        ScoreDoc[] hits = search(searcher, analyzer, query[1], 100);
                        for (int rank = 0; rank < hits.length; rank++) {
                            run.printf(Locale.ROOT, "%s Q0 %s %d %.6f lucene%n", query[0], idByDoc[hits[rank].doc], rank + 1, hits[rank].score);
                        }
                    }
                }

                int warmUp = 0;
                double previous = 0;
                long warmUpStarted = System.nanoTime();
                while (warmUp < 200) {
                    long started = System.nanoTime();
                    for (String[] query : queries) {
                        search(searcher, analyzer, query[1], 100);
                    }
                    double throughput = queries.size() / ((System.nanoTime() - started) / 1e9);
                    warmUp++;
                    if (warmUp >= 2 && System.nanoTime() - warmUpStarted >= 3_000_000_000L && Math.abs(throughput - previous) <= 0.05 * previous) {
                        break;
                    }
                    previous = throughput;
                }

                List<Double> samples = new ArrayList<>();
                List<Double> passes = new ArrayList<>();
                long sink = 0;
                for (int round = 0; round < 20; round++) {
                    long pass = System.nanoTime();
                    for (String[] query : queries) {
                        long start = System.nanoTime();
                        ScoreDoc[] hits = search(searcher, analyzer, query[1], 100);
                        for (ScoreDoc hit : hits) {
                            sink += idByDoc[hit.doc].length();
                        }
                        samples.add((System.nanoTime() - start) / 1e6);
                    }
                    passes.add(queries.size() / ((System.nanoTime() - pass) / 1e9));
                }
                Collections.sort(samples);
                Collections.sort(passes);
                long diskBytes = 0;
                for (String file : directory.listAll()) {
                    diskBytes += directory.fileLength(file);
                }
                System.out.printf(Locale.ROOT,
                    "RESULT index_s=%.2f p50_ms=%.3f p95_ms=%.3f qps=%.0f qps_min=%.0f qps_max=%.0f warmup=%d disk_mb=%.1f name=\"Java Lucene %s (BM25Similarity)\" sink=%d%n",
                    buildSeconds, percentile(samples, 0.50), percentile(samples, 0.95), percentile(passes, 0.50), passes.get(0), passes.get(passes.size() - 1),
                    warmUp, diskBytes / 1048576.0, org.apache.lucene.util.Version.LATEST, sink);
            }
        }
    }

    /** The query's analyzed terms as SHOULD clauses, as the Lucene.NET harness builds them. */
    private static ScoreDoc[] search(IndexSearcher searcher, Analyzer analyzer, String text, int k) throws IOException {
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        try (TokenStream tokens = analyzer.tokenStream(CONTENTS, text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken()) {
                query.add(new TermQuery(new Term(CONTENTS, term.toString())), BooleanClause.Occur.SHOULD);
            }
            tokens.end();
        }
        return searcher.search(query.build(), k).scoreDocs;
    }

    /** Nearest-rank percentile of sorted samples, as LatencyBenchmark.Percentile. */
    private static double percentile(List<Double> sorted, double fraction) {
        int index = (int) Math.ceil(fraction * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }
}
