package batchimage.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.Api;
import batchimage.support.Api.Answer;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.camel.component.rest.RestEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document at /api-doc is the API the service serves: every operation of its REST routes is in it and
 * nothing else, and the real answers of search, records, facets, stats, dead letters, delete and an error match the
 * schemas it gives them. Checked strictly: an answer may carry no field the document does not describe, and must
 * carry every field it says is required.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiContractTest {

    private static final String DOC = "https://batch-image.test/api-doc";
    private static final ObjectMapper JSON = new ObjectMapper();

    private BatchImage app;
    private Api api;
    private JsonNode doc;
    private JsonSchemaFactory schemas;

    @BeforeAll
    void start(@TempDir Path data) throws Exception {
        String db = TestPostgres.newDatabase("contract");
        app = TestLibrary.service(data, db);
        api = Api.of(app);
        // good records, rejected ones (dead letters) and a duplicate
        assertThat(app.importFile(TestLibrary.copyShared("malformed/batch_image_data_mixed_final.json", data.resolve("input"))).outcome())
                .isEqualTo("done");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() ->
                TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active' AND index_state <> 'indexed'") == 0);
        Answer d = api.get("/api-doc");
        assertThat(d.status()).isEqualTo(200);
        doc = d.body();
        schemas = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4, b -> b
                .metaSchema(OpenApi30.getInstance())
                .defaultMetaSchemaIri(OpenApi30.getInstance().getIri())
                .schemaLoaders(l -> l.schemas(Map.of(DOC, strict(doc.deepCopy()).toString()))));
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void everyOperationTheServiceServesIsDocumentedAndNothingElse() {
        var served = new TreeSet<String>();
        app.context().getRoutes().forEach(r -> {
            if (r.getEndpoint() instanceof RestEndpoint rest) {
                String path = rest.getPath() + (rest.getUriTemplate() == null ? "" : rest.getUriTemplate());
                served.add(rest.getMethod().toUpperCase(Locale.ROOT) + " " + path + " " + r.getRouteId());
            }
        });
        var documented = new TreeSet<String>();
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(op ->
                documented.add(op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey())));

        assertThat(served).as("the REST routes").hasSize(17);
        assertThat(documented).containsExactlyInAnyOrderElementsOf(served.stream().map(s -> s.substring(0, s.lastIndexOf(' '))).toList());
        // the verbs carry the route ids that metrics and logs show
        assertThat(served).contains("GET /api/search api-search", "POST /api/search api-search-post", "GET /api/records/{id} api-record",
                "GET /api/facets api-facets", "POST /api/delete api-delete", "POST /api/reindex api-reindex", "GET /api/stats api-stats",
                "GET /api/enrich api-enrich", "POST /api/enrich api-enrich-post", "GET /api/dead-letters api-dead-letters",
                "POST /api/dead-letters/{id}/replay api-dead-letter-replay", "POST /api/dead-letters/{id}/dismiss api-dead-letter-dismiss",
                "POST /api/dead-letters/replay api-dead-letters-replay", "GET /api/images/{id} api-image",
                "GET /api/images/{id}/thumbnail api-image-thumbnail", "GET /api/imports api-imports", "POST /api/imports api-imports-post");
    }

    @Test
    void theDocumentDescribesEachOperationAndItsParameters() {
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(op -> {
            String what = op.getKey() + " " + p.getKey();
            assertThat(op.getValue().path("summary").asText()).as(what).isNotBlank();
            assertThat(op.getValue().path("responses").path("401").isMissingNode()).as(what + " says a key may be needed").isFalse();
            op.getValue().path("parameters").forEach(param ->
                    assertThat(param.path("description").asText()).as(what + " " + param.path("name")).isNotBlank());
        }));
        assertThat(doc.path("paths").path("/api/search").path("get").path("parameters").findValuesAsText("name"))
                .containsExactly("q", "namespace", "top_k", "filter", "include_metadata", "like");
        assertThat(doc.path("components").path("securitySchemes").properties()).extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder("bearer", "apiKeyHeader", "apiKeyCookie");
    }

    @Test
    void searchAnswersAreWhatTheDocumentSays() throws Exception {
        Answer get = api.get("/api/search?q=lighthouse&top_k=3");
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body().path("matches")).isNotEmpty();
        assertMatches(get.body(), response("/api/search", "get", "200"));

        Answer post = api.post("/api/search", Map.of("query", "lighthouse", "namespace", "prompt", "include_metadata", false));
        assertThat(post.status()).isEqualTo(200);
        assertMatches(post.body(), response("/api/search", "post", "200"));

        Answer listed = api.post("/api/search", Map.of("filter", Map.of("sub_theme", Map.of("$eq", "GOOD"))));
        assertThat(listed.body().path("mode").asText()).isEqualTo("list");
        assertMatches(listed.body(), response("/api/search", "post", "200"));

        Answer bad = api.get("/api/search?q=x&top_k=nope");
        assertThat(bad.status()).isEqualTo(400);
        assertMatches(bad.body(), response("/api/search", "get", "400"));
    }

    @Test
    void recordsAndFacetsAreWhatTheDocumentSays() throws Exception {
        String id = api.get("/api/search?q=lighthouse&top_k=1").body().path("matches").get(0).path("id").asText();
        Answer record = api.get("/api/records/" + id);
        assertThat(record.status()).isEqualTo(200);
        assertMatches(record.body(), response("/api/records/{id}", "get", "200"));

        Answer missing = api.get("/api/records/00000000-0000-0000-0000-000000000000");
        assertThat(missing.status()).isEqualTo(404);
        assertMatches(missing.body(), response("/api/records/{id}", "get", "404"));

        Answer facets = api.get("/api/facets?tags=3");
        assertThat(facets.status()).isEqualTo(200);
        assertMatches(facets.body(), response("/api/facets", "get", "200"));
    }

    @Test
    void statsAreWhatTheDocumentSays() throws Exception {
        Answer stats = api.get("/api/stats");
        assertThat(stats.status()).isEqualTo(200);
        assertThat(stats.body().path("dead_letters")).isNotEmpty();
        assertThat(stats.body().path("imports")).isNotEmpty();
        assertMatches(stats.body(), response("/api/stats", "get", "200"));
    }

    @Test
    void deadLettersAreWhatTheDocumentSays() throws Exception {
        Answer letters = api.get("/api/dead-letters?limit=10");
        assertThat(letters.status()).isEqualTo(200);
        assertThat(letters.body().path("dead_letters")).isNotEmpty();
        assertMatches(letters.body(), response("/api/dead-letters", "get", "200"));
    }

    @Test
    void deletesAreWhatTheDocumentSays() throws Exception {
        Answer dryRun = api.post("/api/delete", Map.of("filter", Map.of("sub_theme", Map.of("$eq", "GOOD")), "dry_run", true));
        assertThat(dryRun.status()).isEqualTo(200);
        assertThat(dryRun.body().path("matched").asLong()).isPositive();
        assertMatches(dryRun.body(), response("/api/delete", "post", "200"));

        Answer empty = api.post("/api/delete", Map.of("filter", Map.of()));
        assertThat(empty.status()).isEqualTo(400);
        assertMatches(empty.body(), response("/api/delete", "post", "400"));
    }

    /** The schema the document gives the answer {@code status} of {@code method path}, as a JSON pointer into it. */
    private String response(String path, String method, String status) {
        String pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method + "/responses/" + status
                + "/content/application~1json/schema";
        assertThat(doc.at(pointer).isMissingNode()).as("%s %s %s has a JSON schema in the document", method, path, status).isFalse();
        return pointer;
    }

    private void assertMatches(JsonNode answer, String pointer) {
        JsonSchema schema = schemas.getSchema(SchemaLocation.of(DOC + "#" + pointer));
        Set<ValidationMessage> problems = schema.validate(answer);
        assertThat(problems).as("%s against %s", answer, pointer).isEmpty();
    }

    /** Every object schema with properties lists them all: nothing undocumented may appear in an answer. */
    private static JsonNode strict(JsonNode node) {
        if (node.isObject()) {
            var o = (ObjectNode) node;
            if (o.has("properties") && o.path("properties").isObject() && !o.has("additionalProperties")) {
                o.put("additionalProperties", false);
            }
            o.properties().forEach(e -> strict(e.getValue()));
        } else if (node.isArray()) {
            node.forEach(ApiContractTest::strict);
        }
        return node;
    }
}
