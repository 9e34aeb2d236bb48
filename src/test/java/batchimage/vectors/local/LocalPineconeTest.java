package batchimage.vectors.local;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.vectors.FilterParser;
import batchimage.support.Api;
import batchimage.support.Api.Answer;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local Pinecone data plane over real HTTP, against the facts of PROTOCOLS.md A. */
class LocalPineconeTest {

    private static final int DIM = 384;
    private static final String[] SUBS = {"ANIMAL", "FOOD", "VEHICLE", "PORTRAIT", "LANDSCAPE"};
    private static final String[] TAGS = {"cat", "dog", "red", "blue", "car", "tree", "sky", "sea"};
    private final ObjectMapper json = new ObjectMapper();
    private final Random rnd = new Random(7);

    @TempDir
    Path data;
    private String db;
    private BatchImage app;
    private String base;
    private Api api;

    @BeforeEach
    void start() {
        db = TestPostgres.newDatabase("pinecone");
        startApp();
    }

    private void startApp() {
        app = TestLibrary.service(data, db);
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port") + "/pinecone";
        api = new Api(base);
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private float[] randomUnit() {
        float[] v = new float[DIM];
        double n = 0;
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) rnd.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < DIM; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return v;
    }

    private ObjectNode vector(String id, float[] values, Map<String, Object> metadata) {
        ObjectNode v = json.createObjectNode();
        v.put("id", id);
        ArrayNode a = v.putArray("values");
        for (float f : values) {
            a.add(f);
        }
        if (metadata != null) {
            v.set("metadata", json.valueToTree(metadata));
        }
        return v;
    }

    private Map<String, Object> randomMetadata(int i) {
        var m = new java.util.LinkedHashMap<String, Object>();
        m.put("name", "img_" + i);
        m.put("sub_theme", SUBS[i % SUBS.length]);
        m.put("year", (double) (2015 + i % 10));
        if (i % 3 != 0) {
            m.put("tags", List.of(TAGS[i % TAGS.length], TAGS[(i * 7 + 3) % TAGS.length]));
        }
        if (i % 4 == 0) {
            m.put("hd", i % 8 == 0);
        }
        return m;
    }

    private ObjectNode upsertBody(String namespace, List<ObjectNode> vectors) {
        ObjectNode b = json.createObjectNode();
        b.put("namespace", namespace);
        b.putArray("vectors").addAll(vectors);
        return b;
    }

    @Test
    void upsertQueryFetchAndStatsAsPineconeAnswers() throws Exception {
        var vectors = new ArrayList<ObjectNode>();
        var values = new ArrayList<float[]>();
        for (int i = 0; i < 50; i++) {
            float[] v = randomUnit();
            values.add(v);
            vectors.add(vector("rec-" + i, v, randomMetadata(i)));
        }
        Answer up = api.post("/vectors/upsert", upsertBody("prompt", vectors));
        assertThat(up.status()).isEqualTo(200);
        assertThat(up.body().get("upsertedCount").asInt()).isEqualTo(50);
        assertThat(api.post("/vectors/upsert", upsertBody("description", vectors.subList(0, 20))).status()).isEqualTo(200);

        Answer stats = api.post("/describe_index_stats", "{}");
        assertThat(stats.body().get("namespaces").get("prompt").get("vectorCount").asInt()).isEqualTo(50);
        assertThat(stats.body().get("namespaces").get("description").get("vectorCount").asInt()).isEqualTo(20);
        assertThat(stats.body().get("totalVectorCount").asInt()).isEqualTo(70);
        assertThat(stats.body().get("dimension").asInt()).isEqualTo(DIM);
        assertThat(stats.body().get("metric").asText()).isEqualTo("cosine");

        ObjectNode q = json.createObjectNode();
        q.put("namespace", "prompt");
        q.put("topK", 5);
        q.put("includeMetadata", true);
        ArrayNode qv = q.putArray("vector");
        for (float f : values.get(7)) {
            qv.add(f);
        }
        Answer res = api.post("/query", q);
        assertThat(res.status()).isEqualTo(200);
        JsonNode matches = res.body().get("matches");
        assertThat(matches).hasSize(5);
        assertThat(matches.get(0).get("id").asText()).isEqualTo("rec-7");
        assertThat(matches.get(0).get("score").asDouble()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        double last = 2;
        for (JsonNode m : matches) {
            assertThat(m.get("score").asDouble()).isBetween(-1.0, 1.0).isLessThanOrEqualTo(last);
            last = m.get("score").asDouble();
            assertThat(m.get("values")).isEmpty();
        }
        assertThat(matches.get(0).get("metadata").get("name").asText()).isEqualTo("img_7");
        assertThat(res.body().get("namespace").asText()).isEqualTo("prompt");

        Answer byId = api.post("/query", "{\"namespace\": \"prompt\", \"id\": \"rec-9\", \"topK\": 1, \"includeValues\": true}");
        assertThat(byId.body().get("matches").get(0).get("id").asText()).isEqualTo("rec-9");
        assertThat(byId.body().get("matches").get(0).get("values")).hasSize(DIM);

        Answer fetched = api.get("/vectors/fetch?ids=rec-1&ids=rec-2&ids=missing&namespace=prompt");
        assertThat(fetched.status()).isEqualTo(200);
        assertThat(fetched.body().get("vectors").size()).isEqualTo(2);
        assertThat(fetched.body().get("vectors").get("rec-2").get("values").get(0).floatValue()).isEqualTo(values.get(2)[0]);
        assertThat(fetched.body().get("vectors").get("rec-2").get("metadata").get("sub_theme").asText()).isEqualTo(SUBS[2]);
    }

    @Test
    void everyFilterReturnsExactlyTheRecordsThatMatchIt() throws Exception {
        var vectors = new ArrayList<ObjectNode>();
        var metadata = new ArrayList<Map<String, Object>>();
        for (int i = 0; i < 120; i++) {
            metadata.add(randomMetadata(i));
            vectors.add(vector("r" + i, randomUnit(), metadata.get(i)));
        }
        assertThat(api.post("/vectors/upsert", upsertBody("f", vectors)).status()).isEqualTo(200);
        String[] filters = {
            "{\"sub_theme\": \"ANIMAL\"}",
            "{\"sub_theme\": {\"$ne\": \"ANIMAL\"}}",
            "{\"year\": {\"$gt\": 2019}}",
            "{\"year\": {\"$gte\": 2019, \"$lt\": 2022}}",
            "{\"year\": {\"$lte\": 2016}}",
            "{\"sub_theme\": {\"$in\": [\"FOOD\", \"VEHICLE\"]}}",
            "{\"sub_theme\": {\"$nin\": [\"FOOD\", \"VEHICLE\"]}}",
            "{\"year\": {\"$in\": [2015, 2020]}}",
            "{\"tags\": {\"$in\": [\"cat\"]}}",
            "{\"tags\": \"sea\"}",
            "{\"tags\": {\"$nin\": [\"cat\", \"dog\"]}}",
            "{\"hd\": true}",
            "{\"hd\": {\"$exists\": false}}",
            "{\"tags\": {\"$exists\": true}, \"sub_theme\": \"PORTRAIT\"}",
            "{\"$or\": [{\"sub_theme\": \"LANDSCAPE\"}, {\"year\": 2024}]}",
            "{\"$and\": [{\"tags\": {\"$in\": [\"red\", \"blue\"]}}, {\"$or\": [{\"hd\": false}, {\"year\": {\"$lt\": 2017}}]}]}",
        };
        for (String f : filters) {
            ObjectNode q = json.createObjectNode();
            q.put("namespace", "f");
            q.put("topK", 1000);
            q.set("filter", json.readTree(f));
            ArrayNode qv = q.putArray("vector");
            for (float x : randomUnit()) {
                qv.add(x);
            }
            Answer a = api.post("/query", q);
            assertThat(a.status()).as(f).isEqualTo(200);
            Set<String> got = new HashSet<>(a.body().get("matches").findValuesAsText("id"));
            Set<String> expected = new HashSet<>();
            for (int i = 0; i < metadata.size(); i++) {
                if (FilterParser.matches(FilterParser.parse(json.readTree(f)), metadata.get(i))) {
                    expected.add("r" + i);
                }
            }
            assertThat(expected).as(f).isNotEmpty();
            assertThat(got).as(f).isEqualTo(expected);
        }
    }

    @Test
    void listPagesThroughIdsInOrderWithAPrefix() throws Exception {
        var vectors = new ArrayList<ObjectNode>();
        for (int i = 0; i < 35; i++) {
            vectors.add(vector((i % 2 == 0 ? "doc1#" : "doc2#") + String.format("%03d", i), randomUnit(), null));
        }
        api.post("/vectors/upsert", upsertBody("l", vectors));
        var seen = new ArrayList<String>();
        String token = null;
        int pages = 0;
        do {
            Answer a = api.get("/vectors/list?namespace=l&prefix=doc1%23&limit=5" + (token == null ? "" : "&paginationToken=" + token));
            assertThat(a.status()).isEqualTo(200);
            a.body().get("vectors").forEach(v -> seen.add(v.get("id").asText()));
            token = a.body().has("pagination") ? a.body().get("pagination").get("next").asText() : null;
            pages++;
        } while (token != null);
        assertThat(seen).hasSize(18).allMatch(id -> id.startsWith("doc1#")).isSorted();
        assertThat(new TreeSet<>(seen)).hasSize(18);
        assertThat(pages).isEqualTo(4);
        assertThat(api.get("/vectors/list?namespace=l&limit=101").status()).isEqualTo(400);
    }

    @Test
    void updateMergesMetadataAndDeleteByIdsFilterAndAll() throws Exception {
        var vectors = new ArrayList<ObjectNode>();
        for (int i = 0; i < 10; i++) {
            vectors.add(vector("u" + i, randomUnit(), Map.of("sub_theme", i < 4 ? "A" : "B", "name", "n" + i)));
        }
        api.post("/vectors/upsert", upsertBody("u", vectors));
        assertThat(api.post("/vectors/update", "{\"namespace\": \"u\", \"id\": \"u1\", \"setMetadata\": {\"name\": \"renamed\", \"hd\": true}}").status())
                .isEqualTo(200);
        JsonNode meta = api.get("/vectors/fetch?ids=u1&namespace=u").body().get("vectors").get("u1").get("metadata");
        assertThat(meta.get("name").asText()).isEqualTo("renamed");
        assertThat(meta.get("sub_theme").asText()).isEqualTo("A");
        assertThat(meta.get("hd").asBoolean()).isTrue();
        assertThat(api.post("/vectors/update", "{\"namespace\": \"u\", \"id\": \"nope\", \"setMetadata\": {\"a\": 1}}").status()).isEqualTo(404);
        assertThat(api.post("/vectors/update", "{\"namespace\": \"u\", \"filter\": {\"sub_theme\": \"A\"}, \"setMetadata\": {\"x\": 1}, \"dryRun\": true}")
                .body().get("matchedRecords").asInt()).isEqualTo(4);

        api.post("/vectors/delete", "{\"namespace\": \"u\", \"ids\": [\"u0\", \"u9\"]}");
        assertThat(count("u")).isEqualTo(8);
        api.post("/vectors/delete", "{\"namespace\": \"u\", \"filter\": {\"sub_theme\": \"A\"}}");
        assertThat(count("u")).isEqualTo(5);
        assertThat(api.post("/vectors/delete", "{\"namespace\": \"u\", \"deleteAll\": true, \"ids\": [\"u5\"]}").status()).isEqualTo(400);
        api.post("/vectors/delete", "{\"namespace\": \"u\", \"deleteAll\": true}");
        assertThat(count("u")).isZero();
    }

    private int count(String namespace) throws Exception {
        JsonNode ns = api.post("/describe_index_stats", "{}").body().get("namespaces").get(namespace);
        return ns == null ? 0 : ns.get("vectorCount").asInt();
    }

    @Test
    void refusesWhatPineconeRefusesWithItsErrorShape() throws Exception {
        float[] v = randomUnit();
        var tooMany = new ArrayList<ObjectNode>();
        for (int i = 0; i < 1001; i++) {
            tooMany.add(vector("t" + i, new float[] {1, 0, 0}, null));
        }
        var big = new java.util.HashMap<String, Object>();
        big.put("text", "x".repeat(41 * 1024));
        Object[][] cases = {
            {"/vectors/upsert", upsertBody("e", tooMany), "1001 records"},
            {"/vectors/upsert", upsertBody("e", List.of(vector("a", new float[] {1, 2, 3}, null))), "Vector dimension 3 does not match the dimension of the index 384"},
            {"/vectors/upsert", upsertBody("e", List.of(vector("a", new float[DIM], null))), "non-zero"},
            {"/vectors/upsert", upsertBody("e", List.of(vector("a", v, Map.of("nested", Map.of("x", 1))))), "string, number, boolean or list of strings"},
            {"/vectors/upsert", upsertBody("e", List.of(vector("a", v, Map.of("nums", List.of(1, 2))))), "list of strings"},
            {"/vectors/upsert", upsertBody("e", List.of(vector("a", v, big))), "exceeds the limit of 40960 bytes"},
            {"/vectors/upsert", upsertBody("e", List.of(vector("x".repeat(513), v, null))), "the maximum is 512"},
            {"/vectors/upsert", upsertBody("e", List.of(vector("caf\u00e9", v, null))), "ASCII"},
            {"/query", "{\"topK\": 0, \"id\": \"a\"}", "topK"},
            {"/query", "{\"topK\": 10001, \"id\": \"a\"}", "topK"},
            {"/query", "{\"topK\": 3}", "exactly one of vector and id"},
            {"/query", "{\"topK\": 3, \"id\": \"a\", \"filter\": {\"year\": {\"$gt\": \"x\"}}}", "filter.year.$gt"},
            {"/vectors/delete", "{\"namespace\": \"e\"}", "exactly one of ids, filter and deleteAll"},
        };
        for (Object[] c : cases) {
            Answer a = api.post((String) c[0], c[1]);
            assertThat(a.status()).as(c[2].toString()).isEqualTo(400);
            assertThat(a.body().get("code").asInt()).isEqualTo(3);
            assertThat(a.body().get("message").asText()).contains(c[2].toString());
            assertThat(a.body().get("details").isArray()).isTrue();
        }
        var nullMeta = "{\"vectors\": [{\"id\": \"a\", \"values\": " + json.writeValueAsString(v) + ", \"metadata\": {\"k\": null}}]}";
        assertThat(api.post("/vectors/upsert", nullMeta).body().get("message").asText()).contains("null is not supported");
        var huge = new ArrayList<ObjectNode>();
        for (int i = 0; i < 1000; i++) {
            huge.add(vector("h" + i, randomUnit(), null));
        }
        assertThat(api.post("/vectors/upsert", upsertBody("e", huge)).body().get("message").asText()).contains("exceeds the maximum of 2097152 bytes");
    }

    @Test
    void upsertsSurviveARestartAndConcurrentWritersLoseNothing() throws Exception {
        var pool = Executors.newFixedThreadPool(4);
        var futures = new ArrayList<Future<Integer>>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            futures.add(pool.submit(() -> {
                int sent = 0;
                for (int b = 0; b < 10; b++) {
                    var batch = new ArrayList<ObjectNode>();
                    for (int i = 0; i < 25; i++) {
                        batch.add(vector("w" + writer + "-" + b + "-" + i, randomUnitSynchronized(), Map.of("writer", (double) writer)));
                    }
                    Answer a = api.post("/vectors/upsert", upsertBody("c", batch));
                    assertThat(a.status()).isEqualTo(200);
                    sent += 25;
                    assertThat(api.post("/query", "{\"namespace\": \"c\", \"id\": \"w" + writer + "-0-0\", \"topK\": 3}").status()).isEqualTo(200);
                }
                return sent;
            }));
        }
        int total = 0;
        for (var f : futures) {
            total += f.get();
        }
        pool.shutdown();
        assertThat(count("c")).isEqualTo(total).isEqualTo(1000);

        app.close();
        startApp();
        assertThat(count("c")).isEqualTo(1000);
        assertThat(api.get("/vectors/fetch?ids=w3-9-24&namespace=c").body().get("vectors").get("w3-9-24").get("metadata").get("writer").asDouble())
                .isEqualTo(3.0);
    }

    private synchronized float[] randomUnitSynchronized() {
        return randomUnit();
    }
}
