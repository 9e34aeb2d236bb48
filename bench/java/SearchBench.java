import batchimage.embed.LocalModels;
import batchimage.index.IndexTexts;
import batchimage.lexical.LexicalTexts;
import batchimage.ingest.Batch;
import batchimage.ingest.ImageRecord;
import batchimage.ingest.RecordMapper;
import batchimage.ingest.RecordReader;
import batchimage.search.Fusion;
import batchimage.search.SearchHit;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * bench/search.sh's measurements of /api/search (issue 5).
 *
 * <pre>
 * SearchBench quality URL COCO_FILE QUERIES_FILE N
 *   recall@1 and recall@10 of the first N queries with known answers, through POST URL/api/search, per
 *   namespace and for both; next to exact brute-force search over the same model's embeddings of the
 *   same texts computed here (both: the API's fusion applied to the exact rankings).
 * SearchBench fill URL FILE
 *   upserts a vector per record and namespace to URL/pinecone with the records' metadata, as the index
 *   route would. Vectors: the model's embeddings of 2,000 of the file's prompt texts and 2,000 of its
 *   tag texts, each record getting one of them plus noise (embedding 200,000 texts would take 10 minutes
 *   here and does not change what a query costs).
 * SearchBench latency URL FILE N
 *   N timed POST URL/api/search (top_k 10, query embedding included) per case, after 200 warm-up
 *   searches: prompt and both, without a filter and with a sub_theme filter; queries are prompt texts of
 *   the file.
 * </pre>
 * Prints key=value lines.
 */
public final class SearchBench {

    private static final ObjectMapper JSON = BenchHttp.JSON;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "quality" -> quality(args[1], Path.of(args[2]), Path.of(args[3]), Integer.parseInt(args[4]));
            case "fill" -> fill(args[1], Path.of(args[2]));
            case "latency" -> latency(args[1], Path.of(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("quality, fill or latency");
        }
        System.exit(0);
    }

    private static List<ImageRecord> records(Path file) throws Exception {
        var reader = new RecordReader(file, JSON, new RecordMapper(JSON, file.getFileName().toString(), ""), 2000);
        var out = new ArrayList<ImageRecord>();
        while (reader.hasNext()) {
            Batch b = reader.next();
            out.addAll(b.records());
        }
        return out;
    }

    private static Map<String, Object> metadata(ImageRecord r) {
        return IndexTexts.metadata(r.name(), r.filePath(), r.description(), r.theme(), r.subTheme(), r.prompt());
    }

    private static String tagText(ImageRecord r) {
        return r.description() == null ? "" : r.description().strip();
    }

    private static List<float[]> embed(LocalModels models, List<String> texts) {
        var out = new ArrayList<float[]>(texts.size());
        for (int i = 0; i < texts.size(); i += 64) {
            out.addAll(models.embed(LocalModels.MINILM, texts.subList(i, Math.min(texts.size(), i + 64))).vectors());
        }
        return out;
    }

    // ---------------------------------------------------------------- quality

    private record Doc(String id, float[] vector, Map<String, Object> metadata) {
    }

    private static void quality(String url, Path coco, Path queriesFile, int n) throws Exception {
        List<ImageRecord> recs = records(coco);
        var queries = new ArrayList<String>();
        var relevant = new ArrayList<String>();
        for (String line : Files.readAllLines(queriesFile)) {
            if (queries.size() == n) {
                break;
            }
            JsonNode q = JSON.readTree(line);
            queries.add(q.get("query").asText());
            relevant.add(q.get("relevant").asText());
        }
        var models = new LocalModels();
        models.warmUp(LocalModels.MINILM);
        // the texts the index route embeds (IndexTexts), skipping empty ones as it does
        var promptDocs = new ArrayList<Doc>();
        var tagDocs = new ArrayList<Doc>();
        var promptTexts = new ArrayList<String>();
        var tagTexts = new ArrayList<String>();
        var promptOwners = new ArrayList<ImageRecord>();
        var tagOwners = new ArrayList<ImageRecord>();
        for (ImageRecord r : recs) {
            String p = IndexTexts.promptText(r.prompt());
            if (!p.isEmpty()) {
                promptTexts.add(p);
                promptOwners.add(r);
            }
            if (!tagText(r).isEmpty()) {
                tagTexts.add(tagText(r));
                tagOwners.add(r);
            }
        }
        long t0 = System.nanoTime();
        List<float[]> pv = embed(models, promptTexts);
        List<float[]> tv = embed(models, tagTexts);
        List<float[]> qv = embed(models, queries);
        double embedS = (System.nanoTime() - t0) / 1e9;
        for (int i = 0; i < pv.size(); i++) {
            promptDocs.add(new Doc(promptOwners.get(i).id().toString(), pv.get(i), metadata(promptOwners.get(i))));
        }
        for (int i = 0; i < tv.size(); i++) {
            tagDocs.add(new Doc(tagOwners.get(i).id().toString(), tv.get(i), metadata(tagOwners.get(i))));
        }
        String[] cases = {"prompt", "description", "both", "lexical", "hybrid"};
        Bm25 bm25 = new Bm25(recs);
        // per query, the lists the fusion works on, 100 deep: the API's two namespaces and its lexical list, and Lucene's BM25
        var lists = new ArrayList<Map<String, List<Fusion.Ranked>>>();
        var exactAt1 = new HashMap<String, Integer>();
        var exactAt10 = new HashMap<String, Integer>();
        var apiAt1 = new HashMap<String, Integer>();
        var apiAt10 = new HashMap<String, Integer>();
        // other ways of fusing, on the exact rankings: what the chosen one is compared with
        var variants = new LinkedHashMap<String, Integer>();
        for (int q = 0; q < queries.size(); q++) {
            var exactPrompt = top(promptDocs, qv.get(q), 50);
            var exactTags = top(tagDocs, qv.get(q), 50);
            var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
            rankings.put("prompt", exactPrompt);
            rankings.put("description", exactTags);
            var exact = Map.of("prompt", ids(exactPrompt), "description", ids(exactTags),
                    "both", Fusion.fuse(rankings, 10).stream().map(SearchHit::id).toList());
            String want = relevant.get(q);
            for (String c : cases) {
                if (exact.containsKey(c)) {
                    count(exact.get(c), want, c, exactAt1, exactAt10);
                }
                count(api(url, queries.get(q), c, 10), want, c, apiAt1, apiAt10);
            }
            var l = new LinkedHashMap<String, List<Fusion.Ranked>>();
            for (String c : List.of("lexical", "prompt", "description")) {
                l.put(c, apiRanked(url, queries.get(q), c, DEEP));
            }
            for (var w : Bm25.WEIGHTINGS.entrySet()) {
                l.put("bm25 " + w.getKey(), bm25.search(queries.get(q), w.getValue(), DEEP));
                count(ids(l.get("bm25 " + w.getKey())), want, "bm25 " + w.getKey(), apiAt1, apiAt10);
            }
            lists.add(l);
            variant(variants, "sum of cosines", sumOfCosines(exactPrompt, exactTags, 0.0), want);
            variant(variants, "max of cosines", maxOfCosines(exactPrompt, exactTags), want);
        }
        System.out.printf("queries=%d%nrecords=%d%nprompt_vectors=%d%ndescription_vectors=%d%nembed_s=%.1f%n",
                queries.size(), recs.size(), promptDocs.size(), tagDocs.size(), embedS);
        for (String w : Bm25.WEIGHTINGS.keySet()) {
            System.out.printf("engine|bm25 %s|%.4f|%.4f%n", w, apiAt1.getOrDefault("bm25 " + w, 0) / (double) queries.size(),
                    apiAt10.getOrDefault("bm25 " + w, 0) / (double) queries.size());
        }
        tune(lists, relevant);
        for (String c : cases) {
            System.out.printf("%s_exact_r1=%.4f%n%s_exact_r10=%.4f%n%s_api_r1=%.4f%n%s_api_r10=%.4f%n", c,
                    exactAt1.getOrDefault(c, 0) / (double) queries.size(), c, exactAt10.getOrDefault(c, 0) / (double) queries.size(),
                    c, apiAt1.getOrDefault(c, 0) / (double) queries.size(), c, apiAt10.getOrDefault(c, 0) / (double) queries.size());
        }
        variants.forEach((k, v) -> System.out.printf("variant_%s=%.4f%n", k.replace(' ', '_'), v / (double) queries.size()));
    }

    private static void count(List<String> ids, String want, String c, Map<String, Integer> at1, Map<String, Integer> at10) {
        if (!ids.isEmpty() && ids.get(0).equals(want)) {
            at1.merge(c, 1, Integer::sum);
        }
        if (ids.subList(0, Math.min(10, ids.size())).contains(want)) {
            at10.merge(c, 1, Integer::sum);
        }
    }

    private static void variant(Map<String, Integer> variants, String name, List<String> ids, String want) {
        variants.merge(name, ids.subList(0, Math.min(10, ids.size())).contains(want) ? 1 : 0, Integer::sum);
    }

    private static List<String> ids(List<Fusion.Ranked> ranked) {
        return ranked.stream().limit(10).map(Fusion.Ranked::id).toList();
    }

    private static List<Fusion.Ranked> top(List<Doc> docs, float[] q, int k) {
        var scored = new ArrayList<Fusion.Ranked>(docs.size());
        for (Doc d : docs) {
            double s = 0;
            for (int i = 0; i < q.length; i++) {
                s += d.vector()[i] * q[i];
            }
            scored.add(new Fusion.Ranked(d.id(), s, d.metadata()));
        }
        scored.sort((a, b) -> Double.compare(b.score(), a.score()));
        return new ArrayList<>(scored.subList(0, Math.min(k, scored.size())));
    }

    private static List<String> sumOfCosines(List<Fusion.Ranked> a, List<Fusion.Ranked> b, double missing) {
        var sum = new HashMap<String, Double>();
        var seen = new HashMap<String, Integer>();
        for (List<Fusion.Ranked> l : List.of(a, b)) {
            for (Fusion.Ranked r : l) {
                sum.merge(r.id(), r.score(), Double::sum);
                seen.merge(r.id(), 1, Integer::sum);
            }
        }
        seen.forEach((id, c) -> {
            if (c == 1) {
                sum.merge(id, missing, Double::sum);
            }
        });
        return sum.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).limit(10).map(Map.Entry::getKey).toList();
    }

    private static List<String> maxOfCosines(List<Fusion.Ranked> a, List<Fusion.Ranked> b) {
        var max = new HashMap<String, Double>();
        for (List<Fusion.Ranked> l : List.of(a, b)) {
            for (Fusion.Ranked r : l) {
                max.merge(r.id(), r.score(), Math::max);
            }
        }
        return max.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).limit(10).map(Map.Entry::getKey).toList();
    }

    /** How deep the lists of the fusion study are. */
    private static final int DEEP = 100;

    /** A search's body for a case: a dense namespace, or mode lexical or hybrid (the default: no namespace). */
    private static Map<String, Object> body(String query, String c, int topK) {
        var body = new LinkedHashMap<String, Object>();
        body.put("query", query);
        switch (c) {
            case "lexical" -> body.put("mode", "lexical");
            case "hybrid" -> { }
            default -> body.put("namespace", c);
        }
        body.put("top_k", topK);
        body.put("include_metadata", false);
        return body;
    }

    private static List<String> api(String url, String query, String c, int topK) throws Exception {
        JsonNode answer = BenchHttp.post(url + "/api/search", body(query, c, topK));
        var out = new ArrayList<String>();
        answer.get("matches").forEach(m -> out.add(m.get("id").asText()));
        return out;
    }

    /** One list of the API, with its scores and the metadata the fusion's no-vector rule reads. */
    private static List<Fusion.Ranked> apiRanked(String url, String query, String c, int topK) throws Exception {
        var b = body(query, c, topK);
        b.put("include_metadata", true);
        JsonNode answer = BenchHttp.post(url + "/api/search", b);
        var out = new ArrayList<Fusion.Ranked>();
        for (JsonNode m : answer.get("matches")) {
            Map<String, Object> meta = new HashMap<>();
            m.path("metadata").fields().forEachRemaining(e -> meta.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
            out.add(new Fusion.Ranked(m.get("id").asText(), m.get("score").asDouble(), meta));
        }
        return out;
    }

    /**
     * Fusion settings tried on the dev queries' lists: for the service's lexical list and for each weighting of
     * the bench's BM25 indexes, the recall of each setting of the grid; printed, one line an engine: the plain
     * setting (equal weights, k 60, 50 candidates), the best recall@10 of the grid (ties: the better recall@1),
     * the best recall@1 + recall@10, and the setting of application.properties (which the API's hybrid applies to
     * the service's list).
     */
    private static void tune(List<Map<String, List<Fusion.Ranked>>> lists, List<String> relevant) {
        int[] ks = {5, 10, 20, 30, 60};
        int[] cands = {10, 20, 30, 50, 100};
        double[] wl = {0.25, 0.35, 0.5, 0.75, 1.0, 1.5};
        double[] wd = {0.5, 0.75, 1.0, 1.25};
        var engines = new ArrayList<String>();
        engines.add("lexical");
        Bm25.WEIGHTINGS.keySet().forEach(w -> engines.add("bm25 " + w));
        for (String engine : engines) {
            double[] best = {-1, -1};
            String bestAt = "";
            double[] bestSum = {-1, -1};
            String bestSumAt = "";
            for (int k : ks) {
                for (int cand : cands) {
                    for (double l : wl) {
                        for (double d : wd) {
                            double[] r = fusedRecall(lists, relevant, engine, k, cand, l, 1.0, d);
                            String at = "k %d, %d candidates, lexical %.2f / prompt 1.00 / description %.2f".formatted(k, cand, l, d);
                            if (r[1] > best[1] + 1e-9 || Math.abs(r[1] - best[1]) < 1e-9 && r[0] > best[0]) {
                                best = r;
                                bestAt = at;
                            }
                            if (r[0] + r[1] > bestSum[0] + bestSum[1] + 1e-9) {
                                bestSum = r;
                                bestSumAt = at;
                            }
                        }
                    }
                }
            }
            double[] plain = fusedRecall(lists, relevant, engine, 60, 50, 1, 1, 1);
            double[] set = fusedRecall(lists, relevant, engine, Integer.parseInt(System.getProperty("hybrid.k", "60")),
                    Integer.parseInt(System.getProperty("hybrid.candidates", "50")), Double.parseDouble(System.getProperty("hybrid.lexical", "1")),
                    Double.parseDouble(System.getProperty("hybrid.prompt", "1")), Double.parseDouble(System.getProperty("hybrid.description", "1")));
            System.out.printf("tune|%s|%.4f / %.4f|%.4f / %.4f|%s|%.4f / %.4f|%s|%.4f / %.4f%n", engine, plain[0], plain[1], best[0], best[1], bestAt,
                    bestSum[0], bestSum[1], bestSumAt, set[0], set[1]);
        }
    }

    /** Recall@1 and @10 of the lexical list of {@code engine} fused with the two namespaces' lists. */
    private static double[] fusedRecall(List<Map<String, List<Fusion.Ranked>>> lists, List<String> relevant, String engine, int k, int cand,
                                        double wl, double wp, double wd) {
        int at1 = 0;
        int at10 = 0;
        for (int q = 0; q < lists.size(); q++) {
            var l = lists.get(q);
            var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
            rankings.put("lexical", head(l.get(engine), cand));
            rankings.put("prompt", head(l.get("prompt"), cand));
            rankings.put("description", head(l.get("description"), cand));
            List<String> ids = Fusion.fuse(rankings, Map.of("lexical", wl, "prompt", wp, "description", wd), k, 10).stream().map(SearchHit::id).toList();
            at1 += !ids.isEmpty() && ids.get(0).equals(relevant.get(q)) ? 1 : 0;
            at10 += ids.contains(relevant.get(q)) ? 1 : 0;
        }
        return new double[] {at1 / (double) lists.size(), at10 / (double) lists.size()};
    }

    private static List<Fusion.Ranked> head(List<Fusion.Ranked> l, int n) {
        return l.subList(0, Math.min(n, l.size()));
    }

    /**
     * Lucene BM25 indexes (EnglishAnalyzer: Porter stemming, English stop words) over the same words the lexical side
     * is given (LexicalTexts: tags, prompt text, name), in the bench's memory: the fields the service's index has
     * (all the words in one field, and each alone), asked with several weights, to choose the service's
     * search.lexical.boost.* by measurement. Each query word is asked once (as the service does).
     */
    private static final class Bm25 {
        /** The weightings tried: name, then the weights of words, tags, prompt, name. */
        static final Map<String, float[]> WEIGHTINGS = new LinkedHashMap<>();

        static {
            WEIGHTINGS.put("words", new float[] {1, 0, 0, 0});
            WEIGHTINGS.put("words + tags 0.25", new float[] {1, 0.25f, 0, 0});
            WEIGHTINGS.put("words + prompt 0.25", new float[] {1, 0, 0.25f, 0});
            WEIGHTINGS.put("words + tags 0.25 + prompt 0.25", new float[] {1, 0.25f, 0.25f, 0});
            WEIGHTINGS.put("tags 1 + prompt 1 + name 0.2", new float[] {0, 1, 1, 0.2f});
        }

        private static final String[] FIELDS = {"words", "tags", "prompt", "name"};
        private final IndexSearcher searcher;
        private final Analyzer analyzer = new EnglishAnalyzer();
        private final Map<String, Map<String, Object>> metadata = new HashMap<>();

        Bm25(List<ImageRecord> recs) throws Exception {
            var dir = new ByteBuffersDirectory();
            try (var w = new IndexWriter(dir, new IndexWriterConfig(analyzer))) {
                for (ImageRecord r : recs) {
                    var d = new Document();
                    String tags = LexicalTexts.tags(r.description());
                    String prompt = LexicalTexts.prompt(IndexTexts.promptText(r.prompt()));
                    String name = LexicalTexts.name(r.name());
                    d.add(new StringField("id", r.id().toString(), Field.Store.YES));
                    d.add(new TextField("words", tags + " . " + prompt + " . " + name, Field.Store.NO));
                    d.add(new TextField("tags", tags, Field.Store.NO));
                    d.add(new TextField("prompt", prompt, Field.Store.NO));
                    d.add(new TextField("name", name, Field.Store.NO));
                    w.addDocument(d);
                    metadata.put(r.id().toString(), metadata(r));
                }
            }
            searcher = new IndexSearcher(DirectoryReader.open(dir));
        }

        List<Fusion.Ranked> search(String text, float[] weights, int n) throws Exception {
            var b = new BooleanQuery.Builder();
            var seen = new HashSet<String>();
            try (TokenStream ts = analyzer.tokenStream("words", text)) {
                CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
                ts.reset();
                while (ts.incrementToken()) {
                    if (seen.add(term.toString())) {
                        var word = new BooleanQuery.Builder();
                        for (int f = 0; f < FIELDS.length; f++) {
                            if (weights[f] > 0) {
                                word.add(new BoostQuery(new TermQuery(new Term(FIELDS[f], term.toString())), weights[f]), BooleanClause.Occur.SHOULD);
                            }
                        }
                        b.add(word.build(), BooleanClause.Occur.SHOULD);
                    }
                }
                ts.end();
            }
            var out = new ArrayList<Fusion.Ranked>();
            for (ScoreDoc sd : searcher.search(b.build(), n).scoreDocs) {
                String id = searcher.storedFields().document(sd.doc).get("id");
                out.add(new Fusion.Ranked(id, sd.score, metadata.get(id)));
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- fill

    private static void fill(String url, Path file) throws Exception {
        List<ImageRecord> recs = records(file);
        var models = new LocalModels();
        models.warmUp(LocalModels.MINILM);
        int pool = Math.min(2000, recs.size());
        var promptPool = new ArrayList<String>();
        var tagPool = new ArrayList<String>();
        for (ImageRecord r : recs) {
            if (promptPool.size() < pool && !IndexTexts.promptText(r.prompt()).isEmpty()) {
                promptPool.add(IndexTexts.promptText(r.prompt()));
            }
            if (tagPool.size() < pool && !tagText(r).isEmpty()) {
                tagPool.add(tagText(r));
            }
        }
        List<float[]> pv = embed(models, promptPool);
        List<float[]> tv = embed(models, tagPool);
        var random = new Random(42);
        long t0 = System.nanoTime();
        int upserted = 0;
        for (String namespace : List.of("prompt", "description")) {
            List<float[]> base = namespace.equals("prompt") ? pv : tv;
            var upserts = new BenchHttp.Upserts(url, namespace);
            for (ImageRecord r : recs) {
                boolean has = namespace.equals("prompt") ? !IndexTexts.promptText(r.prompt()).isEmpty() : !tagText(r).isEmpty();
                if (!has) {
                    continue;
                }
                float[] v = noisy(base.get(random.nextInt(base.size())), random);
                upserts.add(Map.of("id", r.id().toString(), "values", v, "metadata", metadata(r)));
            }
            upserted += upserts.finish();
        }
        System.out.printf("records=%d%nupserted=%d%nfill_s=%.1f%n", recs.size(), upserted, (System.nanoTime() - t0) / 1e9);
    }

    /** A unit vector near v: v plus Gaussian noise of about a third of a component's typical size. */
    private static float[] noisy(float[] v, Random random) {
        float[] out = new float[v.length];
        double sigma = 0.3 / Math.sqrt(v.length);
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] + sigma * random.nextGaussian());
            norm += out[i] * out[i];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            out[i] *= scale;
        }
        return out;
    }

    // ---------------------------------------------------------------- latency

    /** Searches per case before the timed ones: the JIT compiles the search path (query embedding, both indexes) first. */
    private static final int WARM = 200;

    private static void latency(String url, Path file, int n) throws Exception {
        List<ImageRecord> recs = records(file);
        // the sub_theme whose share is nearest 15%
        var counts = new HashMap<String, Integer>();
        recs.forEach(r -> counts.merge(r.subTheme(), 1, Integer::sum));
        String subTheme = counts.entrySet().stream()
                .min((a, b) -> Double.compare(Math.abs(a.getValue() / (double) recs.size() - 0.15), Math.abs(b.getValue() / (double) recs.size() - 0.15)))
                .orElseThrow().getKey();
        var queries = new ArrayList<String>();
        for (int i = recs.size() - 1; i >= 0 && queries.size() < n + WARM; i--) {
            String p = IndexTexts.promptText(recs.get(i).prompt());
            if (!p.isEmpty()) {
                queries.add(p.length() > 300 ? p.substring(0, 300) : p);
            }
        }
        System.out.printf("records=%d%nfilter_sub_theme=%s%nfilter_share=%.3f%n", recs.size(), subTheme, counts.get(subTheme) / (double) recs.size());
        for (String namespace : List.of("prompt", "both", "hybrid", "lexical")) {
            for (boolean filtered : new boolean[] {false, true}) {
                double[] ms = new double[n];
                double[] took = new double[n];
                for (int i = 0; i < n + WARM; i++) {
                    var body = body(queries.get(i), namespace, 10);
                    body.remove("include_metadata");
                    if (filtered) {
                        body.put("filter", Map.of("sub_theme", Map.of("$eq", subTheme)));
                    }
                    long s = System.nanoTime();
                    JsonNode a = BenchHttp.post(url + "/api/search", body);
                    if (i >= WARM) {
                        ms[i - WARM] = (System.nanoTime() - s) / 1e6;
                        took[i - WARM] = a.get("took_ms").asDouble();
                    }
                }
                Arrays.sort(ms);
                Arrays.sort(took);
                String k = namespace + (filtered ? "_filtered" : "_unfiltered");
                System.out.printf("%s_p50_ms=%.1f%n%s_p99_ms=%.1f%n%s_took_p50_ms=%.0f%n", k, ms[n / 2], k, ms[(int) Math.ceil(n * 0.99) - 1], k, took[n / 2]);
            }
        }
    }
}
