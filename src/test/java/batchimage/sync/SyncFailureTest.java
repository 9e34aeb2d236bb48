package batchimage.sync;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sync whose index fails (a stand-in for Pinecone, whose listing answers 500 and then recovers): the run is
 * recorded as failed with the reason, stats says so, a dead letter of stage sync is kept, the lock is given
 * back, and replaying the dead letter once the index answers runs the sync again; that run's end resolves the
 * other failed syncs' dead letters.
 */
class SyncFailureTest {

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path data;

    private HttpResponse<String> post(BatchImage app, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.settings().get("batch-image.port") + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(BatchImage app, String path) throws Exception {
        return json.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.settings().get("batch-image.port") + path))
                .GET().build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void aFailedSyncIsRecordedLeavesADeadLetterAndIsReplayedOnceTheIndexAnswers() throws Exception {
        var broken = new AtomicBoolean(true);
        try (var pinecone = new StubHttpServer((r, n) -> {
            if (r.path().endsWith("/describe_index_stats")) {
                return Reply.json(200, "{\"namespaces\":{},\"dimension\":384,\"totalVectorCount\":0,\"metric\":\"cosine\",\"vectorType\":\"dense\"}");
            }
            if (r.path().endsWith("/vectors/list")) {
                return broken.get() ? Reply.json(500, "{\"code\":13,\"message\":\"internal error\",\"details\":[]}")
                        : Reply.json(200, "{\"vectors\":[],\"namespace\":\"prompt\",\"usage\":{\"readUnits\":1}}");
            }
            return Reply.json(200, "{}");
        })) {
            String db = TestPostgres.newDatabase("sync_failure");
            try (var app = BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, data, db, Map.of("pinecone.host", pinecone.url(""),
                    "pinecone.api-key", "pc-test", "pinecone.max-retries", "0", "local-embeddings.preload", "")), BatchImage.Mode.SERVICE).start()) {
                var failed = post(app, "/api/reindex", "{}");
                assertThat(failed.statusCode()).isEqualTo(500);
                assertThat(json.readTree(failed.body()).path("error").asText()).contains("the sync failed", "500");

                JsonNode stats = get(app, "/api/stats");
                assertThat(stats.path("last_sync").path("outcome").asText()).isEqualTo("failed");
                assertThat(stats.path("last_sync").path("error").asText()).contains("500");
                assertThat(stats.path("sync").path("in_sync").asBoolean()).isFalse();
                assertThat(stats.path("sync").path("summary").asText()).contains("the last sync (#1");
                JsonNode letters = get(app, "/api/dead-letters?stage=sync");
                assertThat(letters.path("total").asLong()).isEqualTo(1);
                long letter = letters.path("dead_letters").get(0).path("id").asLong();
                assertThat(letters.path("dead_letters").get(0).path("reason").asText()).contains("500");

                // the lock was given back: the next run is not refused as busy, it fails the same way
                assertThat(post(app, "/api/reindex", "{}").statusCode()).isEqualTo(500);
                // a replay while the index still fails leaves the dead letter open
                JsonNode again = json.readTree(post(app, "/api/dead-letters/" + letter + "/replay", "").body());
                assertThat(again.path("state").asText()).isEqualTo("open");

                broken.set(false);
                var replay = post(app, "/api/dead-letters/" + letter + "/replay", "");
                assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
                JsonNode answer = json.readTree(replay.body());
                assertThat(answer.path("state").asText()).isEqualTo("replayed");
                assertThat(answer.path("sync").path("outcome").asText()).isEqualTo("done");
                JsonNode after = get(app, "/api/stats");
                assertThat(after.path("last_sync").path("outcome").asText()).isEqualTo("done");
                assertThat(after.path("last_sync").path("started_by").asText()).isEqualTo("replay");
                assertThat(after.path("sync").path("in_sync").asBoolean()).as("%s", after.path("sync")).isTrue();

                // the other failed runs' dead letters were resolved by the run that finished; the replayed one is replayed
                long run = answer.path("sync").path("id").asLong();
                JsonNode sync = get(app, "/api/dead-letters?stage=sync");
                assertThat(sync.path("total").asLong()).isGreaterThanOrEqualTo(2);
                for (JsonNode d : sync.path("dead_letters")) {
                    if (d.path("id").asLong() == letter) {
                        assertThat(d.path("state").asText()).isEqualTo("replayed");
                    } else {
                        assertThat(d.path("state").asText()).as("%s", d).isEqualTo("resolved");
                        assertThat(d.path("resolution").asText()).as("%s", d)
                                .matches("sync #" + run + " finished at [0-9-]+ [0-9:]+[+-][0-9:]+; the failure did not recur");
                        assertThat(d.path("resolved_at").isTextual()).isTrue();
                    }
                }
                JsonNode stage = after.path("dead_letters").get(0);
                assertThat(stage.path("stage").asText()).isEqualTo("sync");
                assertThat(stage.path("open").asLong()).isZero();
                assertThat(stage.path("resolved").asLong()).isEqualTo(sync.path("total").asLong() - 1);
            }
        }
    }

    /**
     * Pinecone lists namespaces of generations neither live nor being built (a switch whose removal failed): the sync
     * empties them with deleteAll, names of other shapes are left alone, and one Pinecone already deleted (its stats
     * lag behind, so it is still listed; its delete answers 404) is not an error.
     */
    @Test
    void theSyncEmptiesPineconeNamespacesOfOldGenerations() throws Exception {
        var emptied = java.util.concurrent.ConcurrentHashMap.<String>newKeySet();
        try (var pinecone = new StubHttpServer((r, n) -> {
            if (r.path().endsWith("/describe_index_stats")) {
                return Reply.json(200, "{\"namespaces\":{\"prompt-g2\":{\"vectorCount\":5},\"description-g2\":{\"vectorCount\":4},"
                        + "\"prompt-g1\":{\"vectorCount\":3},\"prompt-g9\":{\"vectorCount\":0},\"other-app\":{\"vectorCount\":7}},"
                        + "\"dimension\":384,\"totalVectorCount\":19,\"metric\":\"cosine\",\"vectorType\":\"dense\"}");
            }
            if (r.path().endsWith("/vectors/list")) {
                return Reply.json(200, "{\"vectors\":[],\"namespace\":\"prompt\",\"usage\":{\"readUnits\":1}}");
            }
            if (r.path().endsWith("/vectors/delete")) {
                JsonNode body;
                try {
                    body = json.readTree(r.body());
                } catch (java.io.IOException e) {
                    return Reply.json(400, "{}");
                }
                String ns = body.path("namespace").asText();
                if (body.path("deleteAll").asBoolean() && ns.equals("prompt-g1")) {
                    return Reply.json(404, "{\"code\":5,\"message\":\"Namespace not found\",\"details\":[]}");
                }
                if (body.path("deleteAll").asBoolean()) {
                    emptied.add(ns);
                }
            }
            return Reply.json(200, "{}");
        })) {
            String db = TestPostgres.newDatabase("sync_stale");
            try (var app = BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, data, db, Map.of("pinecone.host", pinecone.url(""),
                    "pinecone.api-key", "pc-test", "pinecone.max-retries", "0", "local-embeddings.preload", "")), BatchImage.Mode.SERVICE).start()) {
                var res = post(app, "/api/reindex", "{}");
                assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
                JsonNode drift = json.readTree(res.body()).path("drift");
                assertThat(drift.path("stale_namespaces_removed")).extracting(JsonNode::asText).containsExactlyInAnyOrder("prompt-g2", "description-g2");
                // generation 0 is live here; an empty namespace and another app's are not touched
                assertThat(emptied).containsExactlyInAnyOrder("prompt-g2", "description-g2");
                assertThat(get(app, "/api/stats").path("last_sync").path("outcome").asText()).isEqualTo("done");
            }
        }
    }
}
