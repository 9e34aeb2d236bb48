package batchimage.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.Api;
import batchimage.support.Api.Answer;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hybrid search over the API (issue 17): the records' words (the lexical index, fed from PostgreSQL) fused with both namespaces' vectors,
 * the words alone, their filters and refusals, and how the words follow a delete and a sync. Against the COCO
 * library and the media library, imported and indexed once: real PostgreSQL, the real local model and index over
 * HTTP. Which records hold a word is worked out by SQL over the records' own text, not by the lexical index.
 * The tests that change the library (delete, rows changed behind the app's back) run last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HybridSearchApiTest {

    private static final int RECORDS = 5079;
    private static final String QUERY = "a cat sleeping on a laptop keyboard";

    private final ObjectMapper json = new ObjectMapper();

    private String db;
    private BatchImage app;
    private Api api;

    @BeforeAll
    void importAndIndexTheLibrary(@TempDir Path data) throws Exception {
        db = TestPostgres.newDatabase("hybrid");
        app = TestLibrary.service(data, db);
        api = Api.of(app);
        Path in = data.resolve("input");
        for (String f : List.of("coco/batch_image_data_coco_final.json", "media-library/batch_image_data_media_final.json")) {
            assertThat(app.importFile(TestLibrary.copyShared(f, in)).outcome()).isEqualTo("done");
        }
        await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(1))
                .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == RECORDS);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    // ---- helpers

    private static Map<String, Object> req(Object... kv) {
        var m = new LinkedHashMap<String, Object>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private JsonNode search(Map<String, Object> request) throws Exception {
        Answer a = api.post("/api/search", request);
        assertThat(a.status()).as("%s: %s", request, a.body()).isEqualTo(200);
        return a.body();
    }

    private static List<String> ids(JsonNode answer) {
        var out = new ArrayList<String>();
        answer.path("matches").forEach(m -> out.add(m.path("id").asText()));
        return out;
    }

    private static List<String> keys(JsonNode object) {
        var out = new ArrayList<String>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** Active records whose own text (prompt, tags or name) has a word starting with {@code stem}, by SQL. */
    private Set<String> holding(String stem, String andWhere) {
        return new HashSet<>(TestLibrary.ids(db, "status = 'active' AND (coalesce(prompt, '') || ' ' || coalesce(description, '') || ' '"
                + " || coalesce(name, '')) ~* '\\m" + stem + "' AND (" + andWhere + ")"));
    }

    private static String in(List<String> ids) {
        return "('" + String.join("', '", ids) + "')";
    }

    /** Every hit came from the lexical list alone, ranked 1, 2, ... by a falling score. */
    private static void assertLexicalHits(JsonNode answer) {
        assertThat(answer.path("mode").asText()).isEqualTo("lexical");
        int rank = 0;
        double previous = Double.MAX_VALUE;
        for (JsonNode m : answer.path("matches")) {
            rank++;
            assertThat(m.path("namespace").asText()).isEqualTo("lexical");
            assertThat(keys(m.path("ranks"))).containsExactly("lexical");
            assertThat(m.path("ranks").path("lexical").asInt()).isEqualTo(rank);
            assertThat(m.path("namespaces")).hasSize(1);
            assertThat(m.path("namespaces").get(0).asText()).isEqualTo("lexical");
            double score = m.path("score").asDouble();
            assertThat(score).isPositive().isEqualTo(m.path("scores").path("lexical").asDouble()).isLessThanOrEqualTo(previous);
            previous = score;
        }
    }

    // ---- hybrid by default

    @Test
    @Order(1)
    void searchIsHybridByDefaultAndEachHitSaysWhichListsRankedItWhere() throws Exception {
        JsonNode hybrid = search(req("query", QUERY, "top_k", 10));
        assertThat(hybrid.path("mode").asText()).isEqualTo("hybrid");
        assertThat(hybrid.path("matches")).hasSize(10);
        Answer viaGet = api.get("/api/search?q=" + URLEncoder.encode(QUERY, StandardCharsets.UTF_8));
        assertThat(viaGet.status()).isEqualTo(200);
        assertThat(viaGet.body().path("mode").asText()).isEqualTo("hybrid");
        assertThat(ids(viaGet.body())).isEqualTo(ids(hybrid));

        // the three lists hybrid fuses, each asked alone with the candidates it takes (50)
        var lists = new LinkedHashMap<String, List<String>>();
        lists.put("lexical", ids(search(req("query", QUERY, "mode", "lexical", "top_k", 50))));
        lists.put("prompt", ids(search(req("query", QUERY, "namespace", "prompt", "top_k", 50))));
        lists.put("description", ids(search(req("query", QUERY, "namespace", "description", "top_k", 50))));
        assertThat(lists.get("lexical")).hasSize(50);

        int checkedScores = 0;
        for (JsonNode m : hybrid.path("matches")) {
            String id = m.path("id").asText();
            List<String> found = new ArrayList<>();
            lists.forEach((list, ranked) -> {
                if (ranked.contains(id)) {
                    found.add(list);
                }
            });
            assertThat(keys(m.path("ranks"))).as(id).containsExactlyElementsOf(found);
            assertThat(keys(m.path("scores"))).as(id).containsExactlyElementsOf(found);
            assertThat(m.path("namespaces")).hasSize(found.size());
            for (String list : found) {
                assertThat(m.path("ranks").path(list).asInt()).as("%s in %s", id, list).isEqualTo(lists.get(list).indexOf(id) + 1);
            }
            assertThat(m.path("namespace").asText()).isEqualTo(found.size() == 1 ? found.get(0) : "hybrid");
            // with both a prompt and tags no list's absence is excused: the score is the plain weighted sum,
            // with the k and weights of application.properties (the defaults, tuned on COCO dev)
            JsonNode meta = m.path("metadata");
            if (meta.hasNonNull("description") && meta.hasNonNull("original_prompt")) {
                double expected = 0;
                for (String list : found) {
                    expected += HybridSettings.DEFAULTS.weights().get(list) / (HybridSettings.DEFAULTS.k() + m.path("ranks").path(list).asInt());
                }
                assertThat(m.path("score").asDouble()).as(id).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-9));
                checkedScores++;
            }
        }
        assertThat(checkedScores).isPositive();
        // a hit the words and a dense list both found: hybrid, with a rank from each
        assertThat(hybrid.path("matches")).anySatisfy(m -> {
            assertThat(m.path("namespace").asText()).isEqualTo("hybrid");
            assertThat(m.path("ranks").has("lexical")).isTrue();
            assertThat(m.path("ranks").has("prompt") || m.path("ranks").has("description")).isTrue();
        });
    }

    @Test
    @Order(1)
    void aNamespaceMeansTheDenseListsAloneUnlessHybridIsAsked() throws Exception {
        JsonNode prompt = search(req("query", QUERY, "namespace", "prompt", "top_k", 20));
        assertThat(prompt.path("mode").asText()).isEqualTo("vector");
        assertThat(prompt.path("matches")).allSatisfy(m -> assertThat(keys(m.path("ranks"))).containsExactly("prompt"));
        JsonNode both = search(req("query", QUERY, "namespace", "both", "top_k", 20));
        assertThat(both.path("mode").asText()).isEqualTo("vector");
        assertThat(both.path("matches")).allSatisfy(m -> {
            assertThat(m.path("ranks").has("lexical")).isFalse();
            assertThat(m.path("namespace").asText()).isIn("prompt", "description", "both");
        });
        assertThat(search(req("query", QUERY, "mode", "dense", "top_k", 20)).path("mode").asText()).isEqualTo("vector");
        assertThat(ids(search(req("query", QUERY, "mode", "dense", "top_k", 20)))).isEqualTo(ids(both));

        JsonNode hybridPrompt = search(req("query", QUERY, "namespace", "prompt", "mode", "hybrid", "top_k", 20));
        assertThat(hybridPrompt.path("mode").asText()).isEqualTo("hybrid");
        assertThat(hybridPrompt.path("matches")).allSatisfy(m -> assertThat(keys(m.path("ranks"))).isSubsetOf("lexical", "prompt"));
        assertThat(hybridPrompt.path("matches")).anySatisfy(m -> assertThat(keys(m.path("ranks"))).containsExactly("lexical", "prompt"));
    }

    // ---- the words alone

    @Test
    @Order(1)
    void lexicalFindsExactlyTheRecordsWhoseTextHasTheWord() throws Exception {
        for (String[] word : List.of(new String[] {"sculpture", "sculptur"}, new String[] {"macaroni", "macaroni"},
                new String[] {"Zebras", "zebra"}, new String[] {"SKATEBOARDING", "skateboard"})) {
            JsonNode answer = search(req("query", word[0], "mode", "lexical", "top_k", 1000));
            assertLexicalHits(answer);
            Set<String> expected = holding(word[1], "TRUE");
            assertThat(expected).as(word[0]).isNotEmpty();
            assertThat(new HashSet<>(ids(answer))).as(word[0]).isEqualTo(expected);
        }
        assertThat(search(req("query", "sculpture", "mode", "lexical")).path("matches")).hasSize(6);
        // by name too: the COCO image 000000000285 (a bear)
        JsonNode byName = search(req("query", "000000000285", "mode", "lexical"));
        assertThat(ids(byName)).containsExactly("a068a02f-7fa8-5ef6-9fd2-88b0549a98f5");
        // a word no record has: nothing, not an error
        assertThat(search(req("query", "xylophonist", "mode", "lexical")).path("matches")).isEmpty();
        Answer viaGet = api.get("/api/search?q=sculpture&mode=lexical&top_k=100");
        assertThat(viaGet.status()).isEqualTo(200);
        assertThat(new HashSet<>(ids(viaGet.body()))).isEqualTo(holding("sculptur", "TRUE"));
    }

    @Test
    @Order(1)
    void aQuotedPhraseIsRequiredInLexicalMode() throws Exception {
        JsonNode words = search(req("query", "red bus", "mode", "lexical", "top_k", 1000));
        JsonNode phrase = search(req("query", "\"red bus\"", "mode", "lexical", "top_k", 1000));
        assertLexicalHits(phrase);
        assertThat(ids(phrase)).isNotEmpty();
        assertThat(ids(words)).containsAll(ids(phrase));
        assertThat(ids(words).size()).isGreaterThan(ids(phrase).size());
        // each hit of the phrase has "red" right before "bus" (or buses) in its prompt or tags
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE id IN " + in(ids(phrase))
                + " AND (coalesce(prompt, '') || ' ' || coalesce(description, '')) ~* '\\mred[^a-z0-9]+bus'")).isEqualTo(ids(phrase).size());
    }

    @Test
    @Order(1)
    void aFilterRestrictsTheLexicalAndTheHybridHitsAlike() throws Exception {
        Map<String, Object> filter = Map.of("sub_theme", Map.of("$in", List.of("LANDSCAPE", "PORTRAIT", "OTHER")));
        String where = "sub_theme IN ('LANDSCAPE', 'PORTRAIT', 'OTHER')";

        JsonNode all = search(req("query", "zebra", "mode", "lexical", "top_k", 1000));
        JsonNode filtered = search(req("query", "zebra", "mode", "lexical", "filter", filter, "top_k", 1000));
        assertLexicalHits(filtered);
        Set<String> expected = holding("zebra", where);
        assertThat(expected).hasSizeBetween(1, 10);
        assertThat(new HashSet<>(ids(filtered))).isEqualTo(expected);
        // the same ranking, cut to what the filter keeps
        Set<String> kept = new HashSet<>(TestLibrary.ids(db, where + " AND id IN " + in(ids(all))));
        assertThat(ids(filtered)).isEqualTo(ids(all).stream().filter(kept::contains).toList());

        JsonNode hybrid = search(req("query", "zebra", "filter", filter, "top_k", 20));
        assertThat(hybrid.path("mode").asText()).isEqualTo("hybrid");
        List<String> hits = ids(hybrid);
        assertThat(hits).isNotEmpty();
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE " + where + " AND id IN " + in(hits))).isEqualTo(hits.size());
        List<String> lexicalRanking = ids(filtered);
        assertThat(hybrid.path("matches")).anySatisfy(m -> assertThat(m.path("ranks").has("lexical")).isTrue());
        for (JsonNode m : hybrid.path("matches")) {
            if (m.path("ranks").has("lexical")) {
                assertThat(m.path("ranks").path("lexical").asInt()).isEqualTo(lexicalRanking.indexOf(m.path("id").asText()) + 1);
            }
        }
        // a filter no record meets: nothing in either mode
        Map<String, Object> none = Map.of("sub_theme", "NO-SUCH-THEME");
        assertThat(search(req("query", "zebra", "mode", "lexical", "filter", none)).path("matches")).isEmpty();
        assertThat(search(req("query", "zebra", "filter", none)).path("matches")).isEmpty();
    }

    // ---- what a user may type

    @Test
    @Order(1)
    void punctuationAndPromptSyntaxAreNoErrors() throws Exception {
        for (String q : List.of("?!.,;:()", "\"", "& | ! <->", "the of and")) {
            JsonNode lexical = search(req("query", q, "mode", "lexical"));
            assertThat(lexical.path("mode").asText()).isEqualTo("lexical");
            assertThat(lexical.path("matches")).as(q).isEmpty();
            // hybrid still has the dense lists to answer from
            JsonNode hybrid = search(req("query", q));
            assertThat(hybrid.path("mode").asText()).isEqualTo("hybrid");
            assertThat(hybrid.path("matches")).allSatisfy(m -> assertThat(m.path("ranks").has("lexical")).isFalse());
        }
        for (String mode : List.of("hybrid", "lexical", "dense")) {
            JsonNode answer = search(req("query", "(cat:1.2)", "mode", mode));
            assertThat(answer.path("matches")).as(mode).isNotEmpty();
        }
        JsonNode cats = search(req("query", "(cat:1.2)", "mode", "lexical", "top_k", 50));
        assertLexicalHits(cats);
        assertThat(holding("cat", "TRUE")).contains(ids(cats).get(0));
        for (String q : List.of("don't \"red", "a & b | !c", "x:* <-> y:A", "back\\slash", "🐎 horse")) {
            assertThat(api.post("/api/search", req("query", q, "mode", "lexical")).status()).as(q).isEqualTo(200);
            assertThat(api.post("/api/search", req("query", q)).status()).as(q).isEqualTo(200);
        }
    }

    @Test
    @Order(1)
    void badModesAndModeNamespaceClashesAre400sNamingTheField() throws Exception {
        Answer lexicalWithNamespace = api.post("/api/search", req("query", "zebra", "mode", "lexical", "namespace", "prompt"));
        assertThat(lexicalWithNamespace.status()).isEqualTo(400);
        assertThat(lexicalWithNamespace.body().path("field").asText()).isEqualTo("namespace");
        assertThat(lexicalWithNamespace.body().path("error").asText()).contains("namespace");
        assertThat(api.post("/api/search", req("query", "zebra", "mode", "lexical", "namespace", "both")).body().path("field").asText())
                .isEqualTo("namespace");
        assertThat(api.get("/api/search?q=zebra&mode=lexical&namespace=description").body().path("field").asText()).isEqualTo("namespace");

        for (String mode : List.of("fuzzy", "LEXICAL", "vector", "both")) {
            Answer a = api.post("/api/search", req("query", "zebra", "mode", mode));
            assertThat(a.status()).as(mode).isEqualTo(400);
            assertThat(a.body().path("field").asText()).isEqualTo("mode");
            assertThat(a.body().path("error").asText()).contains(mode);
        }
        assertThat(api.get("/api/search?q=zebra&mode=words").body().path("field").asText()).isEqualTo("mode");
        assertThat(api.post("/api/search", "{\"query\": \"zebra\", \"mode\": 3}").body().path("field").asText()).isEqualTo("mode");

        // like searches by stored vectors: only dense
        String id = "a068a02f-7fa8-5ef6-9fd2-88b0549a98f5";
        for (String mode : List.of("lexical", "hybrid")) {
            Answer a = api.post("/api/search", req("like", id, "mode", mode));
            assertThat(a.status()).as(mode).isEqualTo(400);
            assertThat(a.body().path("field").asText()).isEqualTo("mode");
        }
        assertThat(api.post("/api/search", req("like", id)).status()).isEqualTo(200);
    }

    // ---- the words follow the library

    @Test
    @Order(2)
    void aDeletedRecordLeavesTheLexicalSideWithItsWords() throws Exception {
        List<String> before = ids(search(req("query", "pepperoni", "mode", "lexical")));
        assertThat(new HashSet<>(before)).isEqualTo(holding("pepperoni", "TRUE")).hasSize(4);
        String gone = before.get(0);
        String name = TestLibrary.text(db, "SELECT name FROM image_library WHERE id = '" + gone + "'");
        String theme = TestLibrary.text(db, "SELECT theme FROM image_library WHERE id = '" + gone + "'");
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE name = '" + name + "' AND theme = '" + theme + "'")).isEqualTo(1);

        Answer deleted = api.post("/api/delete", req("filter", Map.of("name", name, "theme", theme)));
        assertThat(deleted.status()).as("%s", deleted.body()).isEqualTo(200);
        assertThat(deleted.body().path("deleted").asLong()).isEqualTo(1);

        List<String> after = ids(search(req("query", "pepperoni", "mode", "lexical")));
        assertThat(after).hasSize(3).doesNotContain(gone).containsExactlyElementsOf(before.subList(1, 4));
        assertThat(ids(search(req("query", "pepperoni", "top_k", 50)))).doesNotContain(gone);
        JsonNode lexical = api.get("/api/stats").body().path("lexical");
        assertThat(lexical.path("records").asLong()).as("%s", lexical).isEqualTo(lexical.path("library").asLong())
                .isEqualTo(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active' AND index_state = 'indexed'"));
    }

    @Test
    @Order(3)
    void anIndexOfWordsOutOfStepIsNotInSyncUntilASyncRepairsIt() throws Exception {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> api.get("/api/stats").body().path("sync").path("in_sync").asBoolean());
        List<String> purged = ids(search(req("query", "sculpture", "mode", "lexical")));
        List<String> undeleted = ids(search(req("query", "macaroni", "mode", "lexical")));
        assertThat(purged).hasSize(6);
        assertThat(undeleted).hasSize(3);
        long library = api.get("/api/stats").body().path("lexical").path("library").asLong();

        // deleted as the app deletes (the feed removes them from the words), then made active again by hand
        TestLibrary.execute(db, "UPDATE image_library SET status = 'deleted', lexical_xid = pg_current_xact_id() WHERE id IN " + in(undeleted));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> search(req("query", "macaroni", "mode", "lexical")).path("matches").isEmpty());
        TestLibrary.execute(db, "UPDATE image_library SET status = 'active' WHERE id IN " + in(undeleted));
        // and rows purged by hand, which leave no tombstone
        TestLibrary.execute(db, "DELETE FROM image_library WHERE id IN " + in(purged));

        JsonNode stats = api.get("/api/stats").body();
        assertThat(stats.path("sync").path("in_sync").asBoolean()).as("%s", stats.path("sync")).isFalse();
        assertThat(stats.path("lexical").path("library").asLong()).isEqualTo(library - 6);
        assertThat(stats.path("lexical").path("records").asLong()).isEqualTo(library - 3);
        String reason = String.format("lexical: the index of words holds %,d records, the library has %,d with words", library - 3, library - 6);
        assertThat(stats.path("sync").path("reasons")).anySatisfy(r -> assertThat(r.asText()).startsWith(reason));
        assertThat(stats.path("sync").path("summary").asText()).contains(reason);
        assertThat(ids(search(req("query", "sculpture", "mode", "lexical")))).containsExactlyInAnyOrderElementsOf(purged);

        Answer sync = api.post("/api/reindex", "{\"mode\": \"changed\"}");
        assertThat(sync.status()).as("%s", sync.body()).isEqualTo(200);
        assertThat(sync.body().path("outcome").asText()).isEqualTo("done");
        assertThat(sync.body().path("drift").path("lexical").path("added").asLong()).as("%s", sync.body()).isEqualTo(3);
        assertThat(sync.body().path("drift").path("lexical").path("removed").asLong()).isEqualTo(6);

        assertThat(search(req("query", "sculpture", "mode", "lexical")).path("matches")).isEmpty();
        assertThat(ids(search(req("query", "macaroni", "mode", "lexical")))).containsExactlyInAnyOrderElementsOf(undeleted);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> api.get("/api/stats").body().path("sync").path("in_sync").asBoolean());
        JsonNode now = api.get("/api/stats").body();
        assertThat(now.path("lexical").path("records").asLong()).isEqualTo(now.path("lexical").path("library").asLong()).isEqualTo(library - 6);
        assertThat(now.path("sync").path("reasons")).noneSatisfy(r -> assertThat(r.asText()).startsWith("lexical"));
        // and a second sync finds nothing more to repair
        JsonNode again = api.post("/api/reindex", "{}").body().path("drift").path("lexical");
        assertThat(again.path("added").asLong() + again.path("removed").asLong()).as("%s", again).isZero();
    }
}
