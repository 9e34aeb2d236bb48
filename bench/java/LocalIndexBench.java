import batchimage.localindex.LuceneNamespace;
import batchimage.localindex.VectorRecord;
import batchimage.pinecone.FilterParser;
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
 * timed at the index (and over HTTP when a URL is given), recall@10 against exact brute force.
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
        var ns = new LuceneNamespace("bench", dir);
        long t0 = System.nanoTime();
        var batch = new ArrayList<VectorRecord>();
        for (int i = 0; i < n; i++) {
            float[] c = centroids[rnd.nextInt(centroids.length)];
            float[] noise = gauss(rnd, 0.08);
            float[] v = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                v[j] = c[j] + noise[j];
            }
            vectors[i] = unit(v);
            target[i] = rnd.nextDouble() < 0.15;
            batch.add(new VectorRecord("v" + i, vectors[i], Map.of("sub_theme", target[i] ? "TARGET" : "OTHER" + (i % 5))));
            if (batch.size() == 1000) {
                ns.upsert(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            ns.upsert(batch);
        }
        System.out.printf("build_s=%.1f%nsegments=%d%n", (System.nanoTime() - t0) / 1e9, ns.segments());
        if (Boolean.getBoolean("optimize")) {
            long m0 = System.nanoTime();
            ns.optimize();
            System.out.printf("merge_s=%.1f%nsegments_after=%d%n", (System.nanoTime() - m0) / 1e9, ns.segments());
        }
        var filter = FilterParser.parse(new ObjectMapper().readTree("{\"sub_theme\": \"TARGET\"}"));
        for (boolean filtered : new boolean[] {false, true}) {
            long[] times = new long[queries];
            double recall = 0;
            for (int q = 0; q < queries + 50; q++) {
                float[] c = centroids[rnd.nextInt(centroids.length)];
                float[] noise = gauss(rnd, 0.08);
                float[] v = new float[DIM];
                for (int j = 0; j < DIM; j++) {
                    v[j] = c[j] + noise[j];
                }
                v = unit(v);
                long s = System.nanoTime();
                var matches = ns.query(v, 10, filtered ? filter : null, false, false);
                long e = System.nanoTime();
                if (q < 50) {
                    continue;
                }
                times[q - 50] = e - s;
                var exact = exactTop10(vectors, target, v, filtered);
                int hit = 0;
                for (var m : matches) {
                    if (exact.contains(Integer.parseInt(m.id().substring(1)))) {
                        hit++;
                    }
                }
                recall += hit / 10.0;
            }
            Arrays.sort(times);
            String k = filtered ? "filtered" : "unfiltered";
            System.out.printf("%s_p50_ms=%.2f%n%s_p99_ms=%.2f%n%s_recall10=%.4f%n", k, times[queries / 2] / 1e6, k,
                    times[(int) (queries * 0.99)] / 1e6, k, recall / queries);
        }
        ns.close();
        if (url != null) {
            httpLatency(url, centroids, rnd, queries);
        }
    }

    static void httpLatency(String url, float[][] centroids, Random rnd, int queries) throws Exception {
        var http = HttpClient.newHttpClient();
        var json = new ObjectMapper();
        // the service's own index: upsert a copy of the data set there first
        for (boolean filtered : new boolean[] {false, true}) {
            long[] times = new long[queries];
            for (int q = 0; q < queries + 50; q++) {
                float[] c = centroids[rnd.nextInt(centroids.length)];
                var body = json.createObjectNode();
                body.put("namespace", "bench");
                body.put("topK", 10);
                var arr = body.putArray("vector");
                for (float x : c) {
                    arr.add(x);
                }
                if (filtered) {
                    body.set("filter", json.readTree("{\"sub_theme\": \"TARGET\"}"));
                }
                var req = HttpRequest.newBuilder(URI.create(url + "/query")).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
                long s = System.nanoTime();
                http.send(req, HttpResponse.BodyHandlers.ofString());
                long e = System.nanoTime();
                if (q >= 50) {
                    times[q - 50] = e - s;
                }
            }
            Arrays.sort(times);
            String k = filtered ? "http_filtered" : "http_unfiltered";
            System.out.printf("%s_p50_ms=%.2f%n%s_p99_ms=%.2f%n", k, times[queries / 2] / 1e6, k, times[(int) (queries * 0.99)] / 1e6);
        }
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
