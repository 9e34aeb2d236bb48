import batchimage.embed.LocalModels;
import batchimage.index.IndexTexts;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

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
 *   N timed POST URL/api/search (top_k 10, query embedding included) per case, after 50 warm-up
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
        String[] cases = {"prompt", "description", "both"};
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
                count(exact.get(c), want, c, exactAt1, exactAt10);
                count(api(url, queries.get(q), c), want, c, apiAt1, apiAt10);
            }
            variant(variants, "sum of cosines", sumOfCosines(exactPrompt, exactTags, 0.0), want);
            variant(variants, "max of cosines", maxOfCosines(exactPrompt, exactTags), want);
        }
        System.out.printf("queries=%d%nrecords=%d%nprompt_vectors=%d%ndescription_vectors=%d%nembed_s=%.1f%n",
                queries.size(), recs.size(), promptDocs.size(), tagDocs.size(), embedS);
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

    private static List<String> api(String url, String query, String namespace) throws Exception {
        JsonNode answer = BenchHttp.post(url + "/api/search", Map.of("query", query, "namespace", namespace, "top_k", 10, "include_metadata", false));
        var out = new ArrayList<String>();
        answer.get("matches").forEach(m -> out.add(m.get("id").asText()));
        return out;
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

    private static void latency(String url, Path file, int n) throws Exception {
        List<ImageRecord> recs = records(file);
        // the sub_theme whose share is nearest 15%
        var counts = new HashMap<String, Integer>();
        recs.forEach(r -> counts.merge(r.subTheme(), 1, Integer::sum));
        String subTheme = counts.entrySet().stream()
                .min((a, b) -> Double.compare(Math.abs(a.getValue() / (double) recs.size() - 0.15), Math.abs(b.getValue() / (double) recs.size() - 0.15)))
                .orElseThrow().getKey();
        var queries = new ArrayList<String>();
        for (int i = recs.size() - 1; i >= 0 && queries.size() < n + 50; i--) {
            String p = IndexTexts.promptText(recs.get(i).prompt());
            if (!p.isEmpty()) {
                queries.add(p.length() > 300 ? p.substring(0, 300) : p);
            }
        }
        System.out.printf("records=%d%nfilter_sub_theme=%s%nfilter_share=%.3f%n", recs.size(), subTheme, counts.get(subTheme) / (double) recs.size());
        for (String namespace : List.of("prompt", "both")) {
            for (boolean filtered : new boolean[] {false, true}) {
                double[] ms = new double[n];
                double[] took = new double[n];
                for (int i = 0; i < n + 50; i++) {
                    var body = new LinkedHashMap<String, Object>();
                    body.put("query", queries.get(i));
                    body.put("namespace", namespace);
                    body.put("top_k", 10);
                    if (filtered) {
                        body.put("filter", Map.of("sub_theme", Map.of("$eq", subTheme)));
                    }
                    long s = System.nanoTime();
                    JsonNode a = BenchHttp.post(url + "/api/search", body);
                    if (i >= 50) {
                        ms[i - 50] = (System.nanoTime() - s) / 1e6;
                        took[i - 50] = a.get("took_ms").asDouble();
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
