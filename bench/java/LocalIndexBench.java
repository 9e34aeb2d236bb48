import batchimage.vectors.local.LuceneNamespace;
import batchimage.vectors.VectorRecord;
import batchimage.vectors.FilterParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Local index benchmark of bench/local-index.sh. Usage: LocalIndexBench DIR N QUERIES [PINECONE_URL]
 * N vectors of 384 dimensions in clusters (1,000 centroids, as embeddings of similar prompts cluster), a
 * sub_theme field with 15% of the vectors in 'TARGET'; top-10 queries without and with that filter,
 * timed at the index, recall@10 against exact brute force. With a URL (the service's /pinecone, its
 * data folder holding what the first run wrote under index/bench) the same queries go over HTTP.
 */
public final class LocalIndexBench {
    static final int DIM = 384;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        int queries = Integer.parseInt(args[2]);
        String url = args.length > 3 ? args[3] : null;
        var rnd = new Random(42);
        float[][] centroids = new float[1000][];
        for (int i = 0; i < centroids.length; i++) {
            centroids[i] = unit(gauss(rnd, 1.0));
        }
        float[][] vectors = new float[n][];
        boolean[] target = new boolean[n];
        for (int i = 0; i < n; i++) {
            vectors[i] = nearCentroid(rnd, centroids);
            target[i] = rnd.nextDouble() < 0.15;
        }
        float[][] queryVectors = new float[queries + 50][];
        for (int q = 0; q < queryVectors.length; q++) {
            queryVectors[q] = nearCentroid(rnd, centroids);
        }
        var filterJson = "{\"sub_theme\": \"TARGET\"}";
        if (url != null) {
            // the service's own index, over HTTP: the namespace written by the first run, opened by the service
            var http = HttpClient.newHttpClient();
            var json = new ObjectMapper();
            for (boolean filtered : new boolean[] {false, true}) {
                measure("http_" + (filtered ? "filtered" : "unfiltered"), queries, vectors, target, queryVectors, filtered, v -> {
                    var body = json.createObjectNode().put("namespace", "bench").put("topK", 10);
                    var arr = body.putArray("vector");
                    for (float x : v) {
                        arr.add(x);
                    }
                    if (filtered) {
                        body.set("filter", json.readTree(filterJson));
                    }
                    var req = HttpRequest.newBuilder(URI.create(url + "/query")).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
                    var res = http.send(req, HttpResponse.BodyHandlers.ofString());
                    var ids = new ArrayList<String>();
                    json.readTree(res.body()).path("matches").forEach(m -> ids.add(m.path("id").asText()));
                    return ids;
                });
            }
            return;
        }
        var ns = new LuceneNamespace("bench", dir);
        long t0 = System.nanoTime();
        var batch = new ArrayList<VectorRecord>();
        for (int i = 0; i < n; i++) {
            batch.add(new VectorRecord("v" + i, vectors[i], Map.of("sub_theme", target[i] ? "TARGET" : "OTHER" + (i % 5))));
            if (batch.size() == 1000) {
                ns.upsert(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            ns.upsert(batch);
        }
        System.out.printf("build_s=%.1f%n", (System.nanoTime() - t0) / 1e9);
        System.out.printf("segments=%d%n", ns.segments());
        var filter = FilterParser.parse(new ObjectMapper().readTree(filterJson));
        for (boolean filtered : new boolean[] {false, true}) {
            measure(filtered ? "filtered" : "unfiltered", queries, vectors, target, queryVectors, filtered,
                    v -> ns.query(v, 10, filtered ? filter : null, false, false).stream().map(m -> m.id()).toList());
        }
        long c0 = System.nanoTime();
        ns.close();
        System.out.printf("close_s=%.1f%n", (System.nanoTime() - c0) / 1e9);
    }

    interface Search {
        List<String> top10(float[] v) throws Exception;
    }

    /** Times each query (after 50 warm-up queries) and scores its recall@10 against exact search. */
    static void measure(String k, int queries, float[][] vectors, boolean[] target, float[][] queryVectors, boolean filtered, Search search)
            throws Exception {
        long[] times = new long[queries];
        double recall = 0;
        for (int q = 0; q < queries + 50; q++) {
            float[] v = queryVectors[q];
            long s = System.nanoTime();
            List<String> ids = search.top10(v);
            long e = System.nanoTime();
            if (q < 50) {
                continue;
            }
            times[q - 50] = e - s;
            var exact = exactTop10(vectors, target, v, filtered);
            int hit = 0;
            for (String id : ids) {
                if (exact.contains(Integer.parseInt(id.substring(1)))) {
                    hit++;
                }
            }
            recall += hit / 10.0;
        }
        Arrays.sort(times);
        System.out.printf("%s_p50_ms=%.2f%n%s_p99_ms=%.2f%n%s_recall10=%.4f%n", k, times[queries / 2] / 1e6, k,
                times[(int) (queries * 0.99)] / 1e6, k, recall / queries);
    }

    static List<Integer> exactTop10(float[][] vectors, boolean[] target, float[] q, boolean filtered) {
        int[] best = new int[10];
        double[] score = new double[10];
        Arrays.fill(score, -2);
        for (int i = 0; i < vectors.length; i++) {
            if (filtered && !target[i]) {
                continue;
            }
            double s = 0;
            float[] v = vectors[i];
            for (int j = 0; j < DIM; j++) {
                s += v[j] * q[j];
            }
            if (s > score[9]) {
                int p = 9;
                while (p > 0 && score[p - 1] < s) {
                    score[p] = score[p - 1];
                    best[p] = best[p - 1];
                    p--;
                }
                score[p] = s;
                best[p] = i;
            }
        }
        var out = new ArrayList<Integer>();
        for (int b : best) {
            out.add(b);
        }
        return out;
    }

    /** A unit vector near a random centroid (as embeddings of similar prompts lie near each other). */
    static float[] nearCentroid(Random rnd, float[][] centroids) {
        float[] c = centroids[rnd.nextInt(centroids.length)];
        float[] noise = gauss(rnd, 0.08);
        float[] v = new float[DIM];
        for (int j = 0; j < DIM; j++) {
            v[j] = c[j] + noise[j];
        }
        return unit(v);
    }

    static float[] gauss(Random r, double sd) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) (r.nextGaussian() * sd);
        }
        return v;
    }

    static float[] unit(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = (float) (v[i] / Math.sqrt(n));
        }
        return o;
    }
}
