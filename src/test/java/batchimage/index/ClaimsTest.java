package batchimage.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** Claims on records being indexed, between processes sharing one database. */
class ClaimsTest {

    @Test
    void aLiveProcessKeepsItsClaimsHoweverOldAndAStoppedOnesGoBack(@TempDir Path data) throws Exception {
        String db = TestPostgres.newDatabase("claims");
        try (BatchImage migrated = TestLibrary.oneShot(data, db)) {
            TestLibrary.execute(db, "INSERT INTO image_library (id, name, prompt, description, theme, sub_theme)"
                    + " SELECT gen_random_uuid(), 'r' || i, 'prompt ' || i, 'tag', 't', 's' FROM generate_series(1, 30) i");
        }
        var ds = new PGSimpleDataSource();
        ds.setUrl(db);
        // stale after 1 s: both processes renew their rows every second
        // claims compute fingerprints, which name the model; nothing is embedded here
        var camel = new org.apache.camel.impl.DefaultCamelContext();
        var embeddings = new batchimage.embed.EmbeddingsClient(camel, batchimage.embed.EmbeddingsConfig.from(
                TestLibrary.settings(TestLibrary.PROJECT, data, db, java.util.Map.of())));
        try (camel; embeddings; var a = new Indexer(ds, embeddings, null, 1, null); var b = new Indexer(ds, embeddings, null, 1, null)) {
            assertThat(a.claim(10).ids()).hasSize(10);
            // a process that stopped an hour ago, with 5 records claimed
            TestLibrary.execute(db, "UPDATE image_library SET index_state = 'indexing', claimed_by = 'gone', claimed_at = now() - interval '1 hour'"
                    + " WHERE id IN (SELECT id FROM image_library WHERE index_state = 'pending' ORDER BY id LIMIT 5)");
            TestLibrary.execute(db, "INSERT INTO index_worker (worker, seen_at) VALUES ('gone', now() - interval '1 hour')");
            // a's batch is slow: its claims are an hour old too, but a is alive
            TestLibrary.execute(db, "UPDATE image_library SET claimed_at = now() - interval '1 hour' WHERE index_state = 'indexing' AND claimed_by <> 'gone'");
            await().atMost(Duration.ofSeconds(10)).until(() -> TestLibrary.count(db,
                    "SELECT count(*) FROM index_worker WHERE worker <> 'gone' AND seen_at > now() - interval '1 second'") == 2);

            assertThat(b.releaseStale()).isEqualTo(5);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexing'")).isEqualTo(10);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE claimed_by = 'gone'")).isZero();
            // a's own claims are never stale to a itself either
            assertThat(a.releaseStale()).isZero();

            // a stops: what it held is pending again at once, and its row is gone
            a.close();
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'pending' AND claimed_by IS NULL")).isEqualTo(30);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM index_worker WHERE worker <> 'gone'")).isEqualTo(1);
        }
    }
}
