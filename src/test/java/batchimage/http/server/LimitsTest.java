package batchimage.http.server;

import batchimage.http.RequestJson;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.vectors.FilterParser;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the service refuses before it costs anything, each time a clear 4xx in the API's own shape, and goes on
 * answering: bodies over their API's size (413, before they are read whole), filters too deep or with too many
 * conditions and JSON nested too deep (400 naming the part, never a StackOverflowError), top_k and limit out of
 * range, vectors of the wrong dimension (400), and clients that stall mid-request (their connection closed).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {

    private static final int DIM = 384;
    private static final long DEADLINE_MS = 3000;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final Random rnd = new Random(11);
    private BatchImage app;
    private String base;
    private int port;

    private record Res(int status, JsonNode body, String text) {
    }

    @BeforeAll
    void start(@TempDir Path data) throws Exception {
        String db = TestPostgres.newDatabase("limits");
        // the default body limits; short deadlines so that the stalled clients below are cut off soon
        app = TestLibrary.service(data, db, Map.of("local-embeddings.preload", "", "index.enabled", "false",
                "http.idle-timeout-ms", String.valueOf(DEADLINE_MS), "http.read-timeout-ms", String.valueOf(DEADLINE_MS)));
        port = Integer.parseInt(app.settings().get("batch-image.port"));
        base = "http://127.0.0.1:" + port;
        Res upsert = post("/pinecone/vectors/upsert", upsert("limits", 0, 50));
        assertThat(upsert.status()).as(upsert.text()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    private Res send(HttpRequest.Builder b) throws Exception {
        HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = null;
        if (res.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
            body = json.readTree(res.body());
        }
        return new Res(res.statusCode(), body, res.body());
    }

    private Res post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private Res get(String pathAndQuery) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).GET());
    }

    private String vector(int dimension) {
        var sb = new StringBuilder("[");
        for (int i = 0; i < dimension; i++) {
            sb.append(i == 0 ? "" : ",").append(rnd.nextFloat() - 0.5f);
        }
        return sb.append(']').toString();
    }

    private String upsert(String namespace, int from, int count) {
        var sb = new StringBuilder("{\"namespace\": \"" + namespace + "\", \"vectors\": [");
        for (int i = from; i < from + count; i++) {
            sb.append(i == from ? "" : ",").append("{\"id\": \"v").append(i).append("\", \"values\": ").append(vector(DIM))
                    .append(", \"metadata\": {\"theme\": \"t").append(i % 5).append("\"}}");
        }
        return sb.append("]}").toString();
    }

    /** The service still answers, in each API. */
    private void stillAnswers() throws Exception {
        assertThat(post("/pinecone/describe_index_stats", "{}").status()).isEqualTo(200);
        assertThat(get("/api/dead-letters").status()).isEqualTo(200);
        assertThat(get("/v1/models").status()).isEqualTo(200);
    }

    private static void pineconeError(Res r, int status, String... message) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.body().get("code").asInt()).isEqualTo(3);
        assertThat(r.body().get("message").asText()).contains(List.of(message).isEmpty() ? List.of("") : List.of(message));
        assertThat(r.body().get("details").isArray()).isTrue();
    }

    private static void apiError(Res r, int status, String field, String... message) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.body().get("status").asInt()).isEqualTo(status);
        assertThat(r.body().get("error").asText()).contains(List.of(message).isEmpty() ? List.of("") : List.of(message));
        if (field != null) {
            assertThat(r.body().get("field").asText()).isEqualTo(field);
        }
    }

    // ---- 413

    @Test
    void bodiesOverTheirApisSizeAre413InTheApisShape() throws Exception {
        // 1000 vectors (Pinecone's count limit) of 384 dimensions are more than Pinecone's 2 MB
        String big = upsert("limits", 1000, 1000);
        assertThat(big.length()).isGreaterThan(2 * 1024 * 1024);
        pineconeError(post("/pinecone/vectors/upsert", big), 413, "exceeds the maximum of 2097152 bytes");
        // the same sent in chunks, with no Content-Length: counted as it streams in
        Res chunked = send(HttpRequest.newBuilder(URI.create(base + "/pinecone/vectors/upsert")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))));
        pineconeError(chunked, 413, "exceeds the maximum of 2097152 bytes");
        // under the limit, 200 vectors are taken
        assertThat(post("/pinecone/vectors/upsert", upsert("limits", 1000, 200)).status()).isEqualTo(200);

        Res v1 = post("/v1/embeddings", "{\"model\": \"all-minilm-l6-v2-q\", \"input\": [\"" + "x".repeat(9 * 1024 * 1024) + "\"]}");
        assertThat(v1.status()).isEqualTo(413);
        assertThat(v1.body().get("error").get("message").asText()).contains("exceeds the maximum of 8388608 bytes");
        assertThat(v1.body().get("error").get("type").asText()).isEqualTo("invalid_request_error");

        apiError(post("/api/search", "{\"query\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}"), 413, null,
                "exceeds the maximum of 1048576 bytes", "http.max-body-bytes");
        stillAnswers();
    }

    // ---- filters and JSON depth

    private static String nested(int depth) {
        String f = "{\"theme\": \"t1\"}";
        for (int i = 0; i < depth; i++) {
            f = "{\"$and\": [" + f + "]}";
        }
        return f;
    }

    @Test
    void filtersNestedTooDeepAre400NamingWhere() throws Exception {
        String ok = nested(FilterParser.MAX_DEPTH);
        String deep = nested(FilterParser.MAX_DEPTH + 1);
        String where = "filter" + ".$and[0]".repeat(FilterParser.MAX_DEPTH) + ".$and";

        assertThat(post("/pinecone/query", "{\"topK\": 3, \"vector\": " + vector(DIM) + ", \"namespace\": \"limits\", \"filter\": " + ok + "}")
                .status()).isEqualTo(200);
        pineconeError(post("/pinecone/query", "{\"topK\": 3, \"vector\": " + vector(DIM) + ", \"namespace\": \"limits\", \"filter\": " + deep + "}"),
                400, where, "nest at most 10 deep");
        pineconeError(post("/pinecone/vectors/delete", "{\"namespace\": \"limits\", \"filter\": " + deep + "}"), 400, where);

        apiError(post("/api/search", "{\"filter\": " + deep + "}"), 400, where, "nest at most 10 deep");
        apiError(get("/api/search?filter=" + URLEncoder.encode(deep, StandardCharsets.UTF_8)), 400, where);
        apiError(post("/api/delete", "{\"filter\": " + deep + ", \"dry_run\": true}"), 400, where);
        assertThat(post("/api/search", "{\"filter\": " + ok + "}").status()).isEqualTo(200);
        stillAnswers();
    }

    @Test
    void jsonNestedDeeperThanAnyRequestIs400WhereverItIs() throws Exception {
        for (int depth : new int[] {RequestJson.MAX_DEPTH + 1, 100_000}) {
            String deep = "[".repeat(depth) + "]".repeat(depth);
            Res v1 = post("/v1/embeddings", "{\"model\": \"all-minilm-l6-v2-q\", \"input\": \"a cat\", \"user\": " + deep + "}");
            assertThat(v1.status()).as(v1.text()).isEqualTo(400);
            assertThat(v1.body().get("error").get("message").asText()).contains("could not parse the JSON body");
            pineconeError(post("/pinecone/query", "{\"topK\": 1, \"id\": \"v1\", \"namespace\": \"limits\", \"x\": " + deep + "}"), 400, "nesting depth");
            apiError(post("/api/search", "{\"query\": \"cat\", \"x\": " + deep + "}"), 400, null, "nesting depth");
        }
        String deepValue = "[".repeat(RequestJson.MAX_DEPTH + 1) + "]".repeat(RequestJson.MAX_DEPTH + 1);
        apiError(get("/api/search?filter=" + URLEncoder.encode("{\"theme\": " + deepValue + "}", StandardCharsets.UTF_8)), 400, "filter", "nesting depth");
        String deepFilter = nested(50_000);
        pineconeError(post("/pinecone/query", "{\"topK\": 1, \"id\": \"v1\", \"namespace\": \"limits\", \"filter\": " + deepFilter + "}"), 400);
        apiError(post("/api/search", "{\"filter\": " + deepFilter + "}"), 400, null);
        stillAnswers();
    }

    private static String orOf(int n, String condition) {
        var parts = new ArrayList<String>();
        for (int i = 0; i < n; i++) {
            parts.add(String.format(condition, i));
        }
        return "{\"$or\": [" + String.join(", ", parts) + "]}";
    }

    @Test
    void filtersWithTooManyConditionsAre400NamingWhere() throws Exception {
        int max = FilterParser.MAX_CONDITIONS;
        // at the bound, the conditions that make the most Lucene clauses still make a query the index takes
        String most = orOf(max, "{\"theme\": {\"$nin\": [\"t%1$d\", %1$d]}}");
        Res atBound = post("/pinecone/query", "{\"topK\": 3, \"vector\": " + vector(DIM) + ", \"namespace\": \"limits\", \"filter\": " + most + "}");
        assertThat(atBound.status()).as(atBound.text()).isEqualTo(200);
        assertThat(atBound.body().get("matches").size()).isEqualTo(3);

        String tooMany = orOf(max + 1, "{\"theme\": {\"$ne\": \"t%d\"}}");
        String where = "filter.$or[" + max + "].theme.$ne";
        pineconeError(post("/pinecone/query", "{\"topK\": 3, \"vector\": " + vector(DIM) + ", \"namespace\": \"limits\", \"filter\": " + tooMany + "}"),
                400, where, "at most " + max + " conditions");
        pineconeError(post("/pinecone/vectors/update", "{\"namespace\": \"limits\", \"filter\": " + tooMany + ", \"setMetadata\": {\"a\": \"b\"}}"),
                400, where);
        apiError(post("/api/search", "{\"query\": \"cat\", \"filter\": " + tooMany + "}"), 400, where, "at most " + max + " conditions");
        apiError(post("/api/delete", "{\"filter\": " + tooMany + ", \"dry_run\": true}"), 400, where);
        stillAnswers();
    }

    // ---- top_k and limit

    @Test
    void topKAndLimitOutOfRangeAre400() throws Exception {
        for (String k : List.of("0", "-1", "1001", "99999999999", "1.5", "ten")) {
            apiError(get("/api/search?q=cat&top_k=" + k), 400, "top_k", "top_k");
            apiError(get("/api/search?filter=" + URLEncoder.encode("{\"theme\": \"t1\"}", StandardCharsets.UTF_8) + "&top_k=" + k), 400, "top_k");
        }
        for (String k : List.of("0", "-1", "1001", "99999999999", "1.5", "\"ten\"", "true")) {
            apiError(post("/api/search", "{\"query\": \"cat\", \"top_k\": " + k + "}"), 400, "top_k", "top_k");
            apiError(post("/api/search", "{\"filter\": {\"theme\": \"t1\"}, \"top_k\": " + k + "}"), 400, "top_k");
        }
        // 2^64 + 1 would wrap round to 1 as a long
        for (String k : List.of("0", "10001", "18446744073709551617", "4294967297", "1.5", "\"3\"")) {
            pineconeError(post("/pinecone/query", "{\"topK\": " + k + ", \"id\": \"v1\", \"namespace\": \"limits\"}"), 400, "topK");
        }
        for (String limit : List.of("0", "101", "4294967297", "x")) {
            pineconeError(get("/pinecone/vectors/list?namespace=limits&limit=" + limit), 400, "limit");
        }
        for (String limit : List.of("0", "1001", "x")) {
            apiError(get("/api/dead-letters?limit=" + limit), 400, "limit");
        }
        assertThat(post("/pinecone/query", "{\"topK\": 10000, \"id\": \"v1\", \"namespace\": \"limits\"}").body().get("matches").size()).isEqualTo(50);
        assertThat(get("/pinecone/vectors/list?namespace=limits&limit=100").body().get("vectors").size()).isEqualTo(50);
        stillAnswers();
    }

    // ---- dimension

    @Test
    void vectorsOfTheWrongDimensionAre400() throws Exception {
        String message = "Vector dimension 3 does not match the dimension of the index 384";
        pineconeError(post("/pinecone/query", "{\"topK\": 3, \"vector\": [0.1, 0.2, 0.3], \"namespace\": \"limits\"}"), 400, message);
        pineconeError(post("/pinecone/query", "{\"topK\": 3, \"vector\": [0.1, 0.2, 0.3], \"namespace\": \"no-such-namespace\"}"), 400, message);
        pineconeError(post("/pinecone/vectors/upsert", "{\"namespace\": \"limits\", \"vectors\": [{\"id\": \"short\", \"values\": [0.1, 0.2, 0.3]}]}"),
                400, message);
        pineconeError(post("/pinecone/vectors/update", "{\"namespace\": \"limits\", \"id\": \"v1\", \"values\": [0.1, 0.2, 0.3]}"), 400, message);
        stillAnswers();
    }

    // ---- slow clients

    /** Reads what the server sends until it closes the connection (or 30 s pass, which fails the test). */
    private static String readUntilClosed(Socket socket) throws IOException {
        socket.setSoTimeout(30_000);
        InputStream in = socket.getInputStream();
        var got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) >= 0; ) {
            got.write(buf, 0, n);
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aClientThatStallsMidRequestIsCutOffWhileOthersAreAnswered() throws Exception {
        try (Socket halfHead = new Socket("127.0.0.1", port); Socket halfBody = new Socket("127.0.0.1", port)) {
            halfHead.getOutputStream().write("POST /pinecone/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty".getBytes(StandardCharsets.US_ASCII));
            halfHead.getOutputStream().flush();
            halfBody.getOutputStream().write(("POST /pinecone/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 200\r\n\r\n{\"topK\": 3, ").getBytes(StandardCharsets.US_ASCII));
            halfBody.getOutputStream().flush();
            // while both stall, others are answered
            stillAnswers();
            assertThat(post("/pinecone/query", "{\"topK\": 3, \"id\": \"v1\", \"namespace\": \"limits\"}").status()).isEqualTo(200);

            assertThat(readUntilClosed(halfHead)).isEmpty();
            String answer = readUntilClosed(halfBody);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("\"code\":4", "http.read-timeout-ms");
        }
        // an idle connection that sends nothing at all is closed too
        try (Socket silent = new Socket("127.0.0.1", port)) {
            assertThat(readUntilClosed(silent)).isEmpty();
        }
        // an answer worked on for longer than the deadlines still comes: nothing is timed while a request is answered
        app.context().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("platform-http:/api/slow-answer?httpMethodRestrict=POST").routeId("api-slow-answer")
                        .delay(2 * DEADLINE_MS).setBody(constant("{\"done\": true}"));
            }
        });
        Res slowAnswer = post("/api/slow-answer", "{\"work\": \"long\"}");
        assertThat(slowAnswer.status()).as(slowAnswer.text()).isEqualTo(200);
        assertThat(slowAnswer.text()).contains("done");
        stillAnswers();
    }
}
