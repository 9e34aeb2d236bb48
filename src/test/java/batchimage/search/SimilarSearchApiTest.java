package batchimage.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.Api;
import batchimage.support.Cli;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Similar": {@code GET /api/search?like=<id>}, {@code "like"} in POST and {@code batch-image search --like}, against
 * the media library imported and indexed into the real local index: the hits are those of the record's own stored
 * vectors (asked of the index by hand here), never the record itself, filtered as asked; 404, 409 and 400 as documented.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SimilarSearchApiTest {

    /** "A kitchen with a refrigerator, stove and oven with cabinets.", tagged. */
    private static final String KITCHEN = "941c9ea4-cbc8-52fc-90b7-0516af10b093";
    private static final ObjectMapper JSON = new ObjectMapper();

    private BatchImage app;
    private Api api;
    private String db;

    @BeforeAll
    void importAndIndex(@TempDir Path data) throws Exception {
        db = TestPostgres.newDatabase("similar");
        app = TestLibrary.service(data, db);
        api = Api.of(app);
        assertThat(app.importFile(TestLibrary.copyShared("media-library/batch_image_data_media_final.json", data.resolve("in"))).outcome())
                .isEqualTo("done");
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() ->
                TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 79);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void theHitsAreThoseOfTheRecordsOwnVectorsFusedAndNeverTheRecordItself() throws Exception {
        Api.Answer answer = api.get("/api/search?like=" + KITCHEN + "&top_k=8");
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        assertThat(answer.body().path("like").asText()).isEqualTo(KITCHEN);
        assertThat(answer.body().path("mode").asText()).isEqualTo("vector");
        List<String> ids = ids(answer.body());
        assertThat(ids).hasSize(8).doesNotContain(KITCHEN).doesNotHaveDuplicates();

        // both namespaces, fused as `both` fuses them: the same as the fusion of the two rankings asked of the index by hand
        var rankings = new java.util.LinkedHashMap<String, List<Fusion.Ranked>>();
        for (String ns : List.of("prompt", "description")) {
            rankings.put(ns, byHand(ns, SearchService.FUSION_CANDIDATES + 1));
        }
        assertThat(rankings.get("prompt")).isNotEmpty();
        assertThat(rankings.get("description")).isNotEmpty();
        List<String> expected = Fusion.fuse(rankings, 8).stream().map(SearchHit::id).toList();
        assertThat(ids).isEqualTo(expected);

        // one namespace: its own ranking, best cosine first
        Api.Answer prompt = api.get("/api/search?like=" + KITCHEN + "&namespace=prompt&top_k=5");
        assertThat(ids(prompt.body())).isEqualTo(byHand("prompt", 6).stream().limit(5).map(Fusion.Ranked::id).toList());
        assertThat(prompt.body().path("matches").get(0).path("namespace").asText()).isEqualTo("prompt");

        // POST takes it in the body, with the same answer
        Api.Answer post = api.post("/api/search", Map.of("like", KITCHEN, "top_k", 8));
        assertThat(post.status()).isEqualTo(200);
        assertThat(ids(post.body())).isEqualTo(ids);
    }

    @Test
    void theFilterAppliesAndTheRecordIsNotAmongItsMatchesWhateverTheFilter() throws Exception {
        String filter = URLEncoder.encode("{\"sub_theme\": {\"$eq\": \"ANIMAL\"}}", StandardCharsets.UTF_8);
        Api.Answer animals = api.get("/api/search?like=" + KITCHEN + "&top_k=50&filter=" + filter);
        assertThat(animals.status()).isEqualTo(200);
        long count = TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE sub_theme = 'ANIMAL'");
        assertThat(animals.body().path("matches")).hasSize((int) Math.min(50, count));
        animals.body().path("matches").forEach(m -> assertThat(m.path("metadata").path("sub_theme").asText()).isEqualTo("ANIMAL"));

        // a filter the record itself matches: it is still never a hit, and top_k hits come all the same
        String own = TestLibrary.text(db, "SELECT sub_theme FROM image_library WHERE id = '" + KITCHEN + "'");
        String same = URLEncoder.encode("{\"sub_theme\": {\"$eq\": \"" + own + "\"}}", StandardCharsets.UTF_8);
        long ofThatSubTheme = TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE sub_theme = '" + own + "'");
        Api.Answer mates = api.get("/api/search?like=" + KITCHEN + "&top_k=3&filter=" + same);
        assertThat(ids(mates.body())).hasSize((int) Math.min(3, ofThatSubTheme - 1)).doesNotContain(KITCHEN);
    }

    @Test
    void unknownNotIndexedAndMalformedIdsAreRefusedAsDocumented() throws Exception {
        Api.Answer unknown = api.get("/api/search?like=" + UUID.randomUUID());
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().path("field").asText()).isEqualTo("like");

        // a record the index has no vector of (its indexing failed): 409, and the reason says how it stands
        String failed = UUID.randomUUID().toString();
        TestLibrary.execute(db, "INSERT INTO image_library (id, name, prompt, theme, sub_theme, index_state) VALUES ('" + failed
                + "', 'never-indexed', 'a red bicycle', 'media', 'OTHER', 'failed')");
        Api.Answer notIndexed = api.get("/api/search?like=" + failed);
        assertThat(notIndexed.status()).as(notIndexed.body().toString()).isEqualTo(409);
        assertThat(notIndexed.body().path("error").asText()).contains(failed, "failed");
        assertThat(notIndexed.body().path("field").asText()).isEqualTo("like");

        Api.Answer malformed = api.get("/api/search?like=nope");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().path("field").asText()).isEqualTo("like");

        Api.Answer both = api.get("/api/search?q=kitchen&like=" + KITCHEN);
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.body().path("field").asText()).isEqualTo("like");
    }

    @Test
    void theCommandLineTakesLike() throws Exception {
        var run = Cli.run(Map.of(), "search", "--like", KITCHEN, "--url", api.base(), "--top-k", "6", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        List<String> cli = ids(JSON.readTree(run.out()));
        assertThat(cli).isEqualTo(ids(api.get("/api/search?like=" + KITCHEN + "&top_k=6").body())).doesNotContain(KITCHEN);

        String nobody = UUID.randomUUID().toString();
        var unknown = Cli.run(Map.of(), "search", "--like", nobody, "--url", api.base());
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.err()).contains("404", "no record " + nobody);
        var malformed = Cli.run(Map.of(), "search", "--like", "nope", "--url", api.base());
        assertThat(malformed.exit()).isEqualTo(2);
        assertThat(malformed.err()).contains("--like");
    }

    /** The record's vector fetched from the index's namespace, and the index's own nearest to it, the record left out. */
    private List<Fusion.Ranked> byHand(String namespace, int topK) throws Exception {
        var pinecone = new Api(api.base() + "/pinecone");
        JsonNode fetched = pinecone.get("/vectors/fetch?namespace=" + namespace + "&ids=" + KITCHEN).body();
        JsonNode values = fetched.path("vectors").path(KITCHEN).path("values");
        assertThat(values.size()).as("the record's vector in " + namespace).isPositive();
        Api.Answer q = pinecone.post("/query", Map.of("namespace", namespace, "vector", values, "topK", topK, "includeMetadata", true));
        var out = new ArrayList<Fusion.Ranked>();
        for (JsonNode m : q.body().path("matches")) {
            if (!m.path("id").asText().equals(KITCHEN)) {
                out.add(new Fusion.Ranked(m.path("id").asText(), m.path("score").asDouble(),
                        JSON.convertValue(m.path("metadata"), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { })));
            }
        }
        return out;
    }

    private static List<String> ids(JsonNode answer) {
        var out = new ArrayList<String>();
        answer.path("matches").forEach(m -> out.add(m.path("id").asText()));
        return out;
    }
}
