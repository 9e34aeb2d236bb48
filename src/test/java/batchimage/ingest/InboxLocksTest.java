package batchimage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.store.Database;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inbox's locks on a real PostgreSQL, as several instances use them: one holder per file name, given back
 * for the next file of that name, a dead holder's lock taken over once its lease ran out, a live one never.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InboxLocksTest {

    private static final int LEASE = 3;
    private String db;
    private Database database;

    @BeforeAll
    void open(@TempDir Path data) {
        db = TestPostgres.newDatabase("inboxlocks");
        database = Database.open(db, data, 4);
    }

    @AfterAll
    void close() {
        database.close();
    }

    private InboxLocks instance() {
        return new InboxLocks(database.dataSource(), "ingest-inbox", LEASE);
    }

    @Test
    void oneInstanceHoldsAFileUntilItGivesItBackAndTheNextFileOfThatNameIsTakenAgain() {
        InboxLocks a = instance();
        InboxLocks b = instance();
        assertThat(a.add("f.json")).isTrue();
        assertThat(b.add("f.json")).as("held by a").isFalse();
        assertThat(a.add("f.json")).as("a file is taken once, even by its holder").isFalse();
        assertThat(b.contains("f.json")).isTrue();
        assertThat(b.remove("f.json")).as("b gives back nothing it does not hold").isFalse();
        assertThat(b.add("f.json")).as("still a's").isFalse();
        assertThat(TestLibrary.text(db, "SELECT holder FROM inbox_lock WHERE messageid = 'f.json'")).isEqualTo(a.holder());

        assertThat(a.remove("f.json")).isTrue();
        assertThat(b.contains("f.json")).isFalse();
        assertThat(b.add("f.json")).as("the same name dropped again").isTrue();
        assertThat(b.remove("f.json")).isTrue();
    }

    @Test
    void theLockOfAnInstanceThatDiedIsTakenOverOnceItsLeaseRanOut() {
        InboxLocks dead = instance();
        InboxLocks alive = instance();
        assertThat(dead.add("crash.json")).isTrue();
        // it stops renewing without giving anything back, as a process killed while it imports
        dead.stopRenewing();
        assertThat(alive.add("crash.json")).isFalse();
        await().atMost(Duration.ofSeconds(LEASE * 5L)).pollInterval(Duration.ofMillis(200)).until(() -> alive.add("crash.json"));
        assertThat(TestLibrary.text(db, "SELECT holder FROM inbox_lock WHERE messageid = 'crash.json'")).isEqualTo(alive.holder());
        // the dead one, come back, cannot release what is no longer its own
        assertThat(dead.remove("crash.json")).isFalse();
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM inbox_lock WHERE messageid = 'crash.json'")).isEqualTo(1);
        assertThat(alive.remove("crash.json")).isTrue();
    }

    @Test
    void aLiveInstanceKeepsItsLockPastTheLeaseAndGivesItBackWhenItStops() {
        InboxLocks slow = instance();
        InboxLocks other = instance();
        slow.start();
        try {
            assertThat(slow.add("big.json")).isTrue();
            // renewed while its holder runs: never taken, however long the import
            await().during(Duration.ofSeconds(LEASE * 2L)).atMost(Duration.ofSeconds(LEASE * 3L)).pollInterval(Duration.ofMillis(250))
                    .until(() -> !other.add("big.json"));
        } finally {
            slow.stop();
        }
        assertThat(other.add("big.json")).as("given back when its holder stopped").isTrue();
        assertThat(other.remove("big.json")).isTrue();
    }
}
