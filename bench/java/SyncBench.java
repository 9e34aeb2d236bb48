import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * Sync benchmark of bench/sync.sh. Usage: SyncBench fill|drift|sync|naive|list URL FILE
 * fill: a vector per record and namespace (random unit vectors: the sync compares ids, not values) upserted
 * through URL/pinecone, for the records of FILE whose text for the namespace is not empty.
 * drift: removes the prompt vectors of 1% of the records and adds as many orphan vectors, behind the app's back.
 * sync: one POST URL/api/reindex, timed, with its drift.
 * naive (baseline): what a script without the index's listing does to find missing vectors: fetch every record's
 * id from each namespace, 50 ids a request (the local server refuses a URL of 100 UUIDs with 414), and count those absent (it cannot see orphans at all).
 * list: every id of each namespace through /vectors/list, 100 a page (what the sync's listing costs over HTTP).
 */
public final class SyncBench {

    private static final ObjectMapper JSON = BenchHttp.JSON;

    private record Rec(String id, boolean prompt, boolean description) {
    }

    public static void main(String[] args) throws Exception {
        String url = args[1];
        List<Rec> recs = records(Path.of(args[2]));
        switch (args[0]) {
            case "fill" -> fill(url, recs);
            case "drift" -> drift(url, recs);
            case "sync" -> sync(url);
            case "naive" -> naive(url, recs);
            case "list" -> list(url);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static List<Rec> records(Path file) throws Exception {
        var out = new ArrayList<Rec>();
        JsonNode root = JSON.readTree(Files.readAllBytes(file));
        root.fields().forEachRemaining(e -> e.getValue().forEach(r -> {
            String prompt = r.path("prompt").asText("");
            String tags = r.path("tags").asText("");
            out.add(new Rec(r.path("task_id").asText(), !prompt.isBlank(), !tags.isBlank()));
        }));
        return out;
    }

    private static float[] unit(Random random) {
        float[] v = new float[384];
        double n = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return v;
    }

    private static void fill(String url, List<Rec> recs) throws Exception {
        var random = new Random(42);
        long t0 = System.nanoTime();
        int upserted = 0;
        for (String ns : List.of("prompt", "description")) {
            var upserts = new BenchHttp.Upserts(url, ns);
            for (Rec r : recs) {
                if (ns.equals("prompt") ? !r.prompt() : !r.description()) {
                    continue;
                }
                upserts.add(Map.of("id", r.id(), "values", unit(random), "metadata", Map.of("sub_theme", "bench")));
            }
            upserted += upserts.finish();
        }
        System.out.printf("records=%d%nupserted=%d%nfill_s=%.1f%n", recs.size(), upserted, (System.nanoTime() - t0) / 1e9);
    }

    private static void drift(String url, List<Rec> recs) throws Exception {
        int n = Math.max(1, recs.size() / 100);
        var gone = new ArrayList<String>();
        for (int i = 0; i < recs.size() && gone.size() < n; i += 97) {
            if (recs.get(i).prompt()) {
                gone.add(recs.get(i).id());
            }
        }
        for (int i = 0; i < gone.size(); i += 1000) {
            BenchHttp.post(url + "/pinecone/vectors/delete", Map.of("namespace", "prompt", "ids", gone.subList(i, Math.min(gone.size(), i + 1000))));
        }
        var random = new Random(7);
        var orphans = new ArrayList<Map<String, Object>>();
        for (int i = 0; i < gone.size(); i++) {
            orphans.add(Map.of("id", UUID.randomUUID().toString(), "values", unit(random)));
            if (orphans.size() == 200 || i == gone.size() - 1) {
                BenchHttp.post(url + "/pinecone/vectors/upsert", Map.of("namespace", "prompt", "vectors", orphans));
                orphans.clear();
            }
        }
        System.out.printf("removed=%d%norphans=%d%n", gone.size(), gone.size());
    }

    private static void sync(String url) throws Exception {
        long t0 = System.nanoTime();
        JsonNode report = BenchHttp.post(url + "/api/reindex", Map.of("mode", "changed"));
        double s = (System.nanoTime() - t0) / 1e9;
        JsonNode d = report.path("drift");
        System.out.printf("sync_s=%.2f%n", s);
        for (String ns : List.of("prompt", "description")) {
            for (String k : List.of("listed", "orphans_removed", "missing_requeued", "inactive_removed")) {
                System.out.printf("%s_%s=%d%n", ns, k, d.path(ns).path(k).asLong());
            }
        }
    }

    private static void naive(String url, List<Rec> recs) throws Exception {
        long t0 = System.nanoTime();
        var missing = new LinkedHashMap<String, Integer>();
        for (String ns : List.of("prompt", "description")) {
            var ids = new ArrayList<String>();
            for (Rec r : recs) {
                if (ns.equals("prompt") ? r.prompt() : r.description()) {
                    ids.add(r.id());
                }
            }
            int absent = 0;
            for (int i = 0; i < ids.size(); i += 50) {
                var q = new StringBuilder(url + "/pinecone/vectors/fetch?namespace=" + ns);
                List<String> page = ids.subList(i, Math.min(ids.size(), i + 50));
                page.forEach(id -> q.append("&ids=").append(URLEncoder.encode(id, StandardCharsets.UTF_8)));
                JsonNode found = BenchHttp.get(q.toString()).path("vectors");
                for (String id : page) {
                    absent += found.has(id) ? 0 : 1;
                }
            }
            missing.put(ns, absent);
        }
        System.out.printf("naive_s=%.2f%nnaive_prompt_missing=%d%nnaive_description_missing=%d%n", (System.nanoTime() - t0) / 1e9,
                missing.get("prompt"), missing.get("description"));
    }

    private static void list(String url) throws Exception {
        long t0 = System.nanoTime();
        long n = 0;
        for (String ns : List.of("prompt", "description")) {
            String token = null;
            do {
                JsonNode page = BenchHttp.get(url + "/pinecone/vectors/list?limit=100&namespace=" + ns
                        + (token == null ? "" : "&paginationToken=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
                n += page.path("vectors").size();
                token = page.path("pagination").path("next").asText(null);
            } while (token != null);
        }
        System.out.printf("list_s=%.2f%nlisted=%d%n", (System.nanoTime() - t0) / 1e9, n);
    }
}
