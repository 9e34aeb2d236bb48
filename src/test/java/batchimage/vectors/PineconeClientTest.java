package batchimage.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import batchimage.app.BatchImage;
import batchimage.config.Settings;
import batchimage.vectors.VectorRecord;
import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import batchimage.support.StubHttpServer.Seen;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Pinecone client against a stub that plays Pinecone's answers and failures (PROTOCOLS.md A.0, A.7, A.8),
 * and end to end against the app's own /pinecone.
 */
class PineconeClientTest {

    private static final String KEY = "pc-test-key";
    private static final String VERSION = "2025-10";
    private static final ObjectMapper JSON = new ObjectMapper();

    private DefaultCamelContext camel;
    private final List<StubHttpServer> stubs = new ArrayList<>();
    private PineconeClient client;

    @TempDir
    Path data;

    @BeforeEach
    void start() {
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        stubs.forEach(StubHttpServer::close);
        camel.stop();
    }

    private StubHttpServer stub(StubHttpServer.Handler h) {
        var s = new StubHttpServer(h);
        stubs.add(s);
        return s;
    }

    private static Settings settings(Map<String, String> extra) {
        var o = new HashMap<String, String>();
        o.put("pinecone.api-key", KEY);
        o.put("pinecone.api-version", VERSION);
        o.put("pinecone.index", "image-library");
        o.put("pinecone.max-in-flight", "4");
        o.put("pinecone.max-retries", "3");
        o.put("pinecone.timeout-ms", "5000");
        o.putAll(extra);
        return Settings.load(TestLibrary.PROJECT, Map.of(), o);
    }

    /** A client whose data plane is the stub (PINECONE_HOST set). */
    private PineconeClient clientOf(StubHttpServer dataPlane, Map<String, String> extra) {
        var s = new HashMap<>(extra);
        s.put("pinecone.host", dataPlane.url(""));
        client = PineconeClient.from(camel, settings(s));
        return client;
    }

    private static JsonNode body(Seen r) {
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pinecone's upsert answer: as many as the request carried. */
    private static Reply upserted(Seen r) {
        return Reply.json(200, "{\"upsertedCount\":" + body(r).get("vectors").size() + "}");
    }

    private static List<VectorRecord> records(int n, int dims, Map<String, Object> metadata) {
        var rnd = new Random(n);
        var out = new ArrayList<VectorRecord>();
        for (int i = 0; i < n; i++) {
            float[] v = new float[dims];
            for (int k = 0; k < dims; k++) {
                v[k] = (float) rnd.nextGaussian();
            }
            out.add(new VectorRecord(String.format("rec-%05d", i), v, metadata));
        }
        return out;
    }

    private static void assertSentKeyAndVersion(StubHttpServer s) {
        assertThat(s.seen()).isNotEmpty().allSatisfy(r -> {
            assertThat(r.header("Api-Key")).as(r.method() + " " + r.path()).isEqualTo(KEY);
            assertThat(r.header("X-Pinecone-Api-Version")).as(r.method() + " " + r.path()).isEqualTo(VERSION);
        });
    }

    @Test
    void everyOperationSendsTheKeyAndVersionAndReadsPineconesAnswers() {
        var pinecone = stub((r, n) -> switch (r.path()) {
            case "/vectors/upsert" -> upserted(r);
            case "/vectors/delete" -> Reply.json(200, "{}");
            case "/describe_index_stats" -> Reply.json(200, "{\"namespaces\":{\"\":{\"vectorCount\":5},\"prompt\":{}},\"dimension\":4,"
                    + "\"indexFullness\":0,\"totalVectorCount\":5,\"metric\":\"cosine\",\"vectorType\":\"dense\"}");
            case "/query" -> Reply.json(200, "{\"matches\":[{\"id\":\"a\",\"score\":0.9,\"values\":[],\"metadata\":{\"theme\":\"cats\"}},"
                    + "{\"id\":\"b\",\"score\":0.5,\"values\":[]}],\"namespace\":\"prompt\",\"usage\":{\"readUnits\":5}}");
            case "/vectors/fetch" -> Reply.json(200, "{\"vectors\":{\"a\":{\"id\":\"a\",\"values\":[0.5,1,0,0],\"metadata\":{\"year\":2020}}},"
                    + "\"namespace\":\"prompt\",\"usage\":{\"readUnits\":1}}");
            case "/vectors/list" -> Reply.json(200, r.query().contains("paginationToken=")
                    ? "{\"vectors\":[{\"id\":\"doc1#c\"}],\"namespace\":\"prompt\"}"
                    : "{\"vectors\":[{\"id\":\"doc1#a\"},{\"id\":\"doc1#b\"}],\"pagination\":{\"next\":\"dG9rZW4=\"},\"namespace\":\"prompt\"}");
            default -> Reply.json(404, "{\"code\":5,\"message\":\"no route\",\"details\":[]}");
        });
        clientOf(pinecone, Map.of());

        assertThat(client.upsert("prompt", records(3, 4, Map.of("theme", "cats")))).isEqualTo(3);
        client.delete("prompt", List.of("x", "y"));
        var stats = client.stats();
        var matches = client.query("prompt", new float[] {1, 0, 0, 0}, 2, JSON.valueToTree(Map.of("theme", Map.of("$eq", "cats"))));
        var fetched = client.fetch("prompt", List.of("a", "missing"));
        var ids = client.list("prompt", "doc1#");

        assertThat(pinecone.seen()).extracting(r -> r.method() + " " + r.path()).containsExactly(
                "POST /vectors/upsert", "POST /vectors/delete", "POST /describe_index_stats", "POST /query",
                "GET /vectors/fetch", "GET /vectors/list", "GET /vectors/list");
        assertSentKeyAndVersion(pinecone);

        JsonNode upsert = body(pinecone.seen().get(0));
        assertThat(upsert.get("namespace").asText()).isEqualTo("prompt");
        assertThat(upsert.get("vectors").get(0).get("id").asText()).isEqualTo("rec-00000");
        assertThat(upsert.get("vectors").get(0).get("values")).hasSize(4);
        assertThat(upsert.get("vectors").get(0).get("metadata").get("theme").asText()).isEqualTo("cats");
        assertThat(body(pinecone.seen().get(1)).get("ids")).extracting(JsonNode::asText).containsExactly("x", "y");
        assertThat(stats.namespaces()).containsEntry("", 5L).containsEntry("prompt", 0L);
        assertThat(stats.dimension()).isEqualTo(4);

        JsonNode query = body(pinecone.seen().get(3));
        assertThat(query.get("topK").asInt()).isEqualTo(2);
        assertThat(query.get("vector")).hasSize(4);
        assertThat(query.get("filter").get("theme").get("$eq").asText()).isEqualTo("cats");
        assertThat(matches).extracting(PineconeClient.Match::id).containsExactly("a", "b");
        assertThat(matches.get(0).score()).isEqualTo(0.9);
        assertThat(matches.get(0).metadata()).containsEntry("theme", "cats");
        assertThat(matches.get(1).metadata()).isEmpty();

        assertThat(pinecone.seen().get(4).query()).contains("namespace=prompt", "ids=a", "ids=missing");
        assertThat(fetched).containsOnlyKeys("a");
        assertThat(fetched.get("a").values()).containsExactly(0.5f, 1f, 0f, 0f);

        assertThat(pinecone.seen().get(5).query()).contains("prefix=doc1%23").doesNotContain("paginationToken");
        assertThat(pinecone.seen().get(6).query()).contains("paginationToken=dG9rZW4%3D");
        assertThat(ids).containsExactly("doc1#a", "doc1#b", "doc1#c");
    }

    @Test
    void withoutAHostTheIndexHostComesFromTheControlPlaneAndDataGoesThere() {
        var dataPlane = stub((r, n) -> Reply.json(200, "{\"namespaces\":{\"prompt\":{\"vectorCount\":7}},\"dimension\":384}"));
        // the stub speaks plain HTTP, so its host carries the scheme; Pinecone's comes without one (next test)
        var controlPlane = stub((r, n) -> r.method().equals("GET") && r.path().equals("/indexes/image-library")
                ? Reply.json(200, "{\"name\":\"image-library\",\"dimension\":384,\"metric\":\"cosine\",\"host\":\"" + dataPlane.url("")
                        + "\",\"vector_type\":\"dense\",\"deletion_protection\":\"disabled\",\"spec\":{\"serverless\":{\"cloud\":\"aws\","
                        + "\"region\":\"us-east-1\"}},\"status\":{\"ready\":true,\"state\":\"Ready\"}}")
                : Reply.json(404, "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"Not found\"},\"status\":404}"));
        client = PineconeClient.from(camel, settings(Map.of("pinecone.host", "", "pinecone.control-plane", controlPlane.url(""))));

        assertThat(client.base()).isEqualTo(dataPlane.url(""));
        assertThat(client.stats().namespaces()).containsEntry("prompt", 7L);
        assertThat(controlPlane.seen()).extracting(r -> r.method() + " " + r.path()).containsExactly("GET /indexes/image-library");
        assertThat(dataPlane.seen()).extracting(r -> r.method() + " " + r.path()).containsExactly("POST /describe_index_stats");
        assertSentKeyAndVersion(controlPlane);
        assertSentKeyAndVersion(dataPlane);
    }

    @Test
    void theControlPlanesHostWithoutSchemeIsReachedOverHttps() {
        var controlPlane = stub((r, n) -> Reply.json(200, "{\"name\":\"image-library\",\"metric\":\"cosine\","
                + "\"host\":\"image-library-c01b5b5.svc.us-east1-gcp.pinecone.io\",\"vector_type\":\"dense\",\"spec\":{},\"status\":{\"ready\":true}}"));
        client = PineconeClient.from(camel, settings(Map.of("pinecone.host", "", "pinecone.control-plane", controlPlane.url(""))));
        assertThat(client.base()).isEqualTo("https://image-library-c01b5b5.svc.us-east1-gcp.pinecone.io");
    }

    @Test
    void anUnknownIndexIsAClearErrorNamingItAndIsNotRetried() {
        var controlPlane = stub((r, n) -> Reply.json(404,
                "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"Resource not found\"},\"status\":404}"));
        assertThatThrownBy(() -> PineconeClient.from(camel,
                settings(Map.of("pinecone.host", "", "pinecone.index", "no-such-index", "pinecone.control-plane", controlPlane.url("")))))
                .isInstanceOfSatisfying(PineconeException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.getMessage()).contains("index 'no-such-index'", "not found", "Resource not found");
                });
        assertThat(controlPlane.seen()).hasSize(1);
    }

    @Test
    void a429IsRetriedWithAndWithoutRetryAfterThenSucceeds() {
        var pinecone = stub((r, n) -> switch (n) {
            case 1 -> Reply.json(429, "{\"code\":8,\"message\":\"You've reached the upsert QPS limit for namespace prompt (100 QPS)\",\"details\":[]}")
                    .withHeader("Retry-After", "1");
            case 2 -> new Reply(429, Map.of("Content-Type", "text/plain"), "Too Many Requests", 0);
            default -> upserted(r);
        });
        clientOf(pinecone, Map.of());

        assertThat(client.upsert("prompt", records(5, 4, Map.of()))).isEqualTo(5);
        assertThat(pinecone.seen()).hasSize(3).extracting(Seen::path).containsOnly("/vectors/upsert");
        assertThat(pinecone.seen()).extracting(Seen::body).containsOnly(pinecone.seen().get(0).body());
        assertSentKeyAndVersion(pinecone);
    }

    @Test
    void a500AndA503AreRetried() {
        var pinecone = stub((r, n) -> switch (n) {
            case 1 -> Reply.json(500, "{\"code\":2,\"message\":\"Internal error\",\"details\":[]}");
            case 2 -> new Reply(503, Map.of("Content-Type", "text/plain"), "upstream connect error", 0);
            default -> Reply.json(200, "{\"namespaces\":{\"description\":{\"vectorCount\":3}}}");
        });
        clientOf(pinecone, Map.of());

        assertThat(client.stats().namespaces()).containsEntry("description", 3L);
        assertThat(pinecone.seen()).hasSize(3).extracting(Seen::path).containsOnly("/describe_index_stats");
    }

    @Test
    void aDeleteInANamespaceThatHoldsNothingIsDoneAndOtherErrorsStayErrors() {
        // Pinecone answers 404 for a namespace never written or already emptied
        var pinecone = stub((r, n) -> {
            String ns = body(r).path("namespace").asText();
            return ns.equals("gone") ? Reply.json(404, "{\"code\":5,\"message\":\"Namespace not found\",\"details\":[]}")
                    : ns.equals("bad") ? Reply.json(400, "{\"code\":3,\"message\":\"Invalid request\",\"details\":[]}")
                    : Reply.json(200, "{}");
        });
        clientOf(pinecone, Map.of());

        assertThat(client.deleteAll("gone")).isFalse();
        assertThat(client.deleteAll("prompt")).isTrue();
        client.delete("gone", List.of("a", "b"));
        assertThatThrownBy(() -> client.deleteAll("bad")).isInstanceOfSatisfying(PineconeException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> client.delete("bad", List.of("a"))).isInstanceOf(PineconeException.class);
        assertThat(pinecone.seen()).hasSize(5);
    }

    @Test
    void whenRetriesRunOutTheErrorSaysSo() {
        var pinecone = stub((r, n) -> Reply.json(503, "{\"code\":14,\"message\":\"Service unavailable\",\"details\":[]}"));
        clientOf(pinecone, Map.of("pinecone.max-retries", "2"));

        assertThatThrownBy(() -> client.delete("prompt", List.of("a")))
                .isInstanceOfSatisfying(PineconeException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.getMessage()).contains("503", "Service unavailable", "after 3 attempts");
                });
        assertThat(pinecone.seen()).hasSize(3);
    }

    @Test
    void aPlainText401IsReportedWithItsTextAndNotRetried() {
        var pinecone = stub((r, n) -> new Reply(401, Map.of("Content-Type", "text/plain"), "Invalid API Key", 0));
        clientOf(pinecone, Map.of());

        assertThatThrownBy(() -> client.upsert("prompt", records(2, 4, Map.of())))
                .isInstanceOfSatisfying(PineconeException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("401", "Invalid API Key");
                });
        assertThat(pinecone.seen()).hasSize(1);
    }

    @Test
    void aJson400IsReportedWithPineconesMessageAndNotRetried() {
        var pinecone = stub((r, n) -> Reply.json(400,
                "{\"code\":3,\"message\":\"Vector dimension 4 does not match the dimension of the index 1536\",\"details\":[]}"));
        clientOf(pinecone, Map.of());

        assertThatThrownBy(() -> client.upsert("prompt", records(2, 4, Map.of())))
                .isInstanceOfSatisfying(PineconeException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("400", "Vector dimension 4 does not match the dimension of the index 1536")
                            .doesNotContain("\"code\"");
                });
        assertThat(pinecone.seen()).hasSize(1);
    }

    @Test
    void upsertsAreSplitAtAThousandVectors() {
        var pinecone = stub((r, n) -> upserted(r));
        clientOf(pinecone, Map.of());

        assertThat(client.upsert("prompt", records(2500, 4, Map.of()))).isEqualTo(2500);
        assertThat(pinecone.seen()).extracting(r -> body(r).get("vectors").size()).containsExactlyInAnyOrder(1000, 1000, 500);
        assertThat(sentIds(pinecone)).hasSize(2500);
    }

    @Test
    void upsertsAreSplitToStayUnderTwoMegabytesCountingBytesNotCharacters() {
        var pinecone = stub((r, n) -> upserted(r));
        clientOf(pinecone, Map.of());
        // about 18 KB of values and 30 KB of UTF-8 metadata (10,000 characters) per record
        var metadata = Map.<String, Object>of("description", "\u732b".repeat(10_000));

        assertThat(client.upsert("prompt", records(300, 1536, metadata))).isEqualTo(300);
        assertThat(pinecone.seen()).hasSizeGreaterThan(1);
        assertThat(pinecone.seen()).extracting(r -> r.body().getBytes(StandardCharsets.UTF_8).length)
                .allSatisfy(bytes -> assertThat(bytes).isLessThanOrEqualTo(2 * 1024 * 1024));
        assertThat(pinecone.seen()).extracting(r -> body(r).get("vectors").size()).allSatisfy(n -> assertThat(n).isBetween(1, 1000));
        assertThat(sentIds(pinecone)).hasSize(300);
    }

    private static Set<String> sentIds(StubHttpServer s) {
        var ids = new HashSet<String>();
        s.seen().forEach(r -> body(r).get("vectors").forEach(v -> assertThat(ids.add(v.get("id").asText())).isTrue()));
        return ids;
    }

    @Test
    void severalUpsertRequestsAreInFlightAtOnceWithinTheBound() {
        var pinecone = stub((r, n) -> upserted(r).after(300));
        clientOf(pinecone, Map.of("pinecone.max-in-flight", "3"));

        assertThat(client.upsert("prompt", records(6000, 4, Map.of()))).isEqualTo(6000);
        assertThat(pinecone.seen()).hasSize(6);
        assertThat(pinecone.maxInFlight()).isBetween(2, 3);
    }

    @Test
    void upsertQueryFetchListAndDeleteRoundTripThroughTheLocalIndex() {
        String namespace = "client-round-trip";
        String[] themes = {"ANIMAL", "FOOD", "VEHICLE"};
        var rnd = new Random(11);
        var records = new ArrayList<VectorRecord>();
        for (int i = 0; i < 150; i++) {
            float[] v = new float[384];
            for (int k = 0; k < v.length; k++) {
                v[k] = (float) rnd.nextGaussian();
            }
            records.add(new VectorRecord(String.format("img-%03d", i), v,
                    Map.of("sub_theme", themes[i % 3], "tags", List.of("t" + i % 5, "all"), "year", 2015.0 + i % 10)));
        }
        try (BatchImage app = TestLibrary.service(data, TestPostgres.newDatabase("pinecone_client"))) {
            client = PineconeClient.from(app.context(), app.settings());
            assertThat(client.base()).endsWith("/pinecone");

            assertThat(client.upsert(namespace, records)).isEqualTo(150);
            assertThat(client.stats().namespaces()).containsEntry(namespace, 150L);

            var matches = client.query(namespace, records.get(4).values(), 100, JSON.valueToTree(Map.of("sub_theme", "FOOD")));
            var food = IntStream.range(0, 150).filter(i -> i % 3 == 1).mapToObj(i -> records.get(i).id()).toList();
            assertThat(matches).extracting(PineconeClient.Match::id).containsExactlyInAnyOrderElementsOf(food);
            assertThat(matches.get(0).id()).isEqualTo("img-004");
            assertThat(matches).allSatisfy(m -> assertThat(m.metadata()).containsEntry("sub_theme", "FOOD"));

            var fetched = client.fetch(namespace, List.of("img-001", "img-002", "not-there"));
            assertThat(fetched).containsOnlyKeys("img-001", "img-002");
            assertThat(fetched.get("img-002").values()).containsExactly(records.get(2).values());
            assertThat(fetched.get("img-002").metadata()).containsEntry("sub_theme", "VEHICLE")
                    .containsEntry("tags", List.of("t2", "all")).containsEntry("year", 2017.0);

            assertThat(client.list(namespace, "")).containsExactlyElementsOf(records.stream().map(VectorRecord::id).toList());
            assertThat(client.list(namespace, "img-1")).hasSize(50).allMatch(id -> id.startsWith("img-1"));

            var even = IntStream.range(0, 150).filter(i -> i % 2 == 0).mapToObj(i -> records.get(i).id()).toList();
            client.delete(namespace, even);
            assertThat(client.list(namespace, "")).hasSize(75).doesNotContainAnyElementsOf(even);
            assertThat(client.fetch(namespace, List.of("img-002", "img-003"))).containsOnlyKeys("img-003");
            assertThat(client.stats().namespaces()).containsEntry(namespace, 75L);
        }
    }
}
