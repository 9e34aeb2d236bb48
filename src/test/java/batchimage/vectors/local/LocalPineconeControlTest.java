package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.config.Settings;
import batchimage.vectors.PineconeClient;
import batchimage.support.Api;
import batchimage.support.Api.Answer;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Pinecone's SDKs ask of /pinecone besides the data plane, over real HTTP: the control plane of the one
 * local index, the namespace operations, one name for the default namespace, and JSON errors on every other path.
 * Each test writes namespaces of its own (one service for the class); only one writes the default namespace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalPineconeControlTest {

    private static final int DIM = 384;
    private final ObjectMapper json = new ObjectMapper();
    private BatchImage app;
    private int port;
    private Api api;

    @BeforeAll
    void start(@TempDir Path data) {
        app = TestLibrary.service(data, TestPostgres.newDatabase("pinecone_control"));
        port = Integer.parseInt(app.settings().get("batch-image.port"));
        api = new Api("http://127.0.0.1:" + port + "/pinecone");
    }

    @AfterAll
    void stop() {
        app.close();
    }

    private ObjectNode upsert(String namespace, int n) {
        ObjectNode b = json.createObjectNode();
        if (namespace != null) {
            b.put("namespace", namespace);
        }
        ArrayNode vs = b.putArray("vectors");
        for (int i = 0; i < n; i++) {
            ObjectNode v = vs.addObject();
            v.put("id", "v-" + i);
            ArrayNode a = v.putArray("values");
            for (int j = 0; j < DIM; j++) {
                a.add(j == i ? 1.0 : 0.01);
            }
        }
        return b;
    }

    private ObjectNode query(String namespace) {
        ObjectNode q = json.createObjectNode();
        if (namespace != null) {
            q.put("namespace", namespace);
        }
        q.put("topK", 10);
        ArrayNode a = q.putArray("vector");
        for (int j = 0; j < DIM; j++) {
            a.add(j == 0 ? 1.0 : 0.01);
        }
        return q;
    }

    private Answer send(String method, String path, String body) throws Exception {
        return api.send(HttpRequest.newBuilder(URI.create(api.base() + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
    }

    private static void assertControlError(Answer a, int status, String code) {
        assertThat(a.status()).as(a.body().toString()).isEqualTo(status);
        assertThat(a.body().get("status").asInt()).isEqualTo(status);
        assertThat(a.body().get("error").get("code").asText()).isEqualTo(code);
        assertThat(a.body().get("error").get("message").asText()).isNotBlank();
    }

    private static void assertRpcError(Answer a, int status, int code) {
        assertThat(a.status()).as(a.body().toString()).isEqualTo(status);
        assertThat(a.body().get("code").asInt()).isEqualTo(code);
        assertThat(a.body().get("message").asText()).isNotBlank();
        assertThat(a.body().get("details").isArray()).isTrue();
    }

    @Test
    void theControlPlaneDescribesTheOneLocalIndexWithAHostTheClientCanReach() throws Exception {
        // the host follows the address the client used
        var byName = new Api("http://localhost:" + port + "/pinecone");
        Answer list = byName.get("/indexes");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().get("indexes")).hasSize(1);
        JsonNode model = list.body().get("indexes").get(0);
        assertThat(model.get("name").asText()).isEqualTo("image-library");
        assertThat(model.get("dimension").asInt()).isEqualTo(DIM);
        assertThat(model.get("metric").asText()).isEqualTo("cosine");
        assertThat(model.get("vector_type").asText()).isEqualTo("dense");
        assertThat(model.get("host").asText()).isEqualTo("http://localhost:" + port + "/pinecone");
        assertThat(model.get("status").get("ready").asBoolean()).isTrue();
        assertThat(model.get("status").get("state").asText()).isEqualTo("Ready");
        assertThat(model.get("spec").has("serverless")).isTrue();

        Answer described = api.get("/indexes/image-library");
        assertThat(described.status()).isEqualTo(200);
        assertThat(described.body().get("host").asText()).isEqualTo(api.base());
        // the host is where the data plane answers
        assertThat(new Api(described.body().get("host").asText()).post("/describe_index_stats", "{}").status()).isEqualTo(200);

        assertControlError(api.get("/indexes/another-index"), 404, "NOT_FOUND");
    }

    @Test
    void createAndDeleteIndexAnswerWhatOneLocalIndexCan() throws Exception {
        assertThat(api.post("/vectors/upsert", upsert("kept", 2)).status()).isEqualTo(200);

        assertControlError(api.post("/indexes", "{\"name\": \"image-library\", \"dimension\": 384, \"metric\": \"cosine\","
                + " \"spec\": {\"serverless\": {\"cloud\": \"aws\", \"region\": \"us-east-1\"}}}"), 409, "ALREADY_EXISTS");
        assertControlError(api.post("/indexes", "{\"name\": \"image-library\", \"dimension\": 1536, \"spec\": {}}"), 400, "INVALID_ARGUMENT");
        assertControlError(api.post("/indexes", "{\"name\": \"image-library\", \"dimension\": 384, \"metric\": \"euclidean\"}"),
                400, "INVALID_ARGUMENT");
        assertControlError(api.post("/indexes", "{\"name\": \"another-index\", \"dimension\": 384}"), 403, "FORBIDDEN");
        assertControlError(api.post("/indexes", "{\"dimension\": 384}"), 422, "UNPROCESSABLE_ENTITY");

        Answer deleted = send("DELETE", "/indexes/image-library", null);
        assertControlError(deleted, 403, "FORBIDDEN");
        assertThat(deleted.body().get("error").get("message").asText()).contains("Deletion protection");
        assertThat(api.get("/indexes/image-library").body().get("deletion_protection").asText()).isEqualTo("enabled");
        assertControlError(send("DELETE", "/indexes/another-index", null), 404, "NOT_FOUND");
        assertControlError(send("PATCH", "/indexes/image-library", "{\"deletion_protection\": \"disabled\"}"), 501, "UNIMPLEMENTED");

        // refused, and nothing went: the vectors are all there
        assertThat(api.get("/vectors/fetch?ids=v-0&ids=v-1&namespace=kept").body().get("vectors").size()).isEqualTo(2);
    }

    @Test
    void namespacesAreListedDescribedAndDeletedInPineconesShapes() throws Exception {
        assertThat(api.post("/vectors/upsert", upsert("ns-a", 3)).status()).isEqualTo(200);
        assertThat(api.post("/vectors/upsert", upsert("ns-b", 2)).status()).isEqualTo(200);

        Answer all = api.get("/namespaces?prefix=ns-");
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.body().get("namespaces").toString())
                .isEqualTo("[{\"name\":\"ns-a\",\"record_count\":3},{\"name\":\"ns-b\",\"record_count\":2}]");
        assertThat(all.body().get("total_count").asInt()).isEqualTo(2);
        assertThat(all.body().has("pagination")).isFalse();

        var pages = new ArrayList<String>();
        String token = null;
        do {
            Answer page = api.get("/namespaces?prefix=ns-&limit=1" + (token == null ? "" : "&paginationToken=" + token));
            assertThat(page.body().get("namespaces")).hasSize(1);
            pages.add(page.body().get("namespaces").get(0).get("name").asText());
            token = page.body().path("pagination").path("next").asText(null);
        } while (token != null && pages.size() < 5);
        assertThat(pages).containsExactly("ns-a", "ns-b");

        Answer a = api.get("/namespaces/ns-a");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().get("name").asText()).isEqualTo("ns-a");
        assertThat(a.body().get("record_count").asInt()).isEqualTo(3);

        Answer deleted = send("DELETE", "/namespaces/ns-a", null);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.body().isObject()).isTrue();
        assertRpcError(api.get("/namespaces/ns-a"), 404, 5);
        assertRpcError(send("DELETE", "/namespaces/ns-a", null), 404, 5);
        assertThat(api.post("/query", query("ns-a")).body().get("matches")).isEmpty();
        assertThat(api.post("/describe_index_stats", "{}").body().get("namespaces").has("ns-a")).isFalse();
        assertThat(api.get("/namespaces/ns-b").body().get("record_count").asInt()).isEqualTo(2);

        assertRpcError(api.get("/namespaces/never-written"), 404, 5);
        assertRpcError(api.get("/namespaces?limit=0"), 400, 3);
        // namespaces come with their first upsert: no create
        assertRpcError(api.post("/namespaces", "{\"name\": \"ns-c\"}"), 501, 12);
    }

    @Test
    void theDefaultNamespaceHasOneNameInQueriesStatsFetchesListsAndNamespaces() throws Exception {
        assertThat(api.post("/vectors/upsert", upsert(null, 3)).status()).isEqualTo(200);
        assertThat(api.post("/vectors/upsert", upsert("__default__", 1)).body().get("upsertedCount").asInt()).isEqualTo(1);

        for (String asked : new String[] {null, "", "__default__"}) {
            Answer q = api.post("/query", query(asked));
            assertThat(q.body().get("namespace").asText()).as("query namespace %s", asked).isEqualTo("__default__");
            assertThat(q.body().get("matches")).hasSize(3);
        }
        JsonNode stats = api.post("/describe_index_stats", "{}").body().get("namespaces");
        assertThat(stats.has("")).isFalse();
        assertThat(stats.get("__default__").get("vectorCount").asInt()).isEqualTo(3);
        assertThat(api.get("/vectors/fetch?ids=v-0").body().get("namespace").asText()).isEqualTo("__default__");
        assertThat(api.get("/vectors/fetch?ids=v-0&namespace=").body().get("vectors").has("v-0")).isTrue();
        assertThat(api.get("/vectors/list").body().get("namespace").asText()).isEqualTo("__default__");
        assertThat(api.get("/namespaces/__default__").body().get("record_count").asInt()).isEqualTo(3);
        assertThat(api.get("/namespaces?prefix=__").body().get("namespaces").get(0).get("name").asText()).isEqualTo("__default__");
    }

    @Test
    void everyOtherPathAnswersInTheJsonErrorShapeOfItsPlane() throws Exception {
        for (String path : List.of("", "/nope", "/vectors/nope", "/vectors/fetch/extra")) {
            Answer a = api.get(path);
            assertRpcError(a, 404, 5);
            assertThat(a.body().get("message").asText()).contains("GET /pinecone" + path);
        }
        // a known path asked with another method
        Answer wrongMethod = api.get("/query");
        assertRpcError(wrongMethod, 405, 12);
        assertThat(wrongMethod.body().get("message").asText()).contains("POST");
        assertRpcError(send("PUT", "/namespaces/ns-x", "{}"), 405, 12);
        // control-plane paths answer in the control plane's shape
        assertControlError(api.get("/collections"), 404, "NOT_FOUND");
        assertControlError(api.get("/indexes/image-library/extra"), 404, "NOT_FOUND");
        assertControlError(send("PUT", "/indexes", "{}"), 405, "UNIMPLEMENTED");
        // and the data plane still answers
        assertThat(api.post("/describe_index_stats", "{}").status()).isEqualTo(200);
    }

    @Test
    void theAppsOwnClientFindsTheLocalIndexThroughTheControlPlane() throws Exception {
        Settings s = Settings.load(TestLibrary.PROJECT, Map.of(), Map.of("pinecone.api-key", "any", "pinecone.host", "",
                "pinecone.control-plane", api.base(), "pinecone.index", "image-library"));
        PineconeClient client = PineconeClient.from(app.context(), s);
        try {
            assertThat(client.base()).isEqualTo(api.base());
            float[] v = new float[DIM];
            v[5] = 1;
            assertThat(client.upsert("own", List.of(new VectorRecord("own-1", v, Map.of("k", "x"))))).isEqualTo(1);
            assertThat(client.stats().namespaces()).containsEntry("own", 1L);
            assertThat(client.query("own", v, 1, null).get(0).id()).isEqualTo("own-1");
        } finally {
            client.close();
        }
    }
}
