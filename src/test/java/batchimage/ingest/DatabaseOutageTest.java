package batchimage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.support.CrashBatch;
import batchimage.support.ServiceProcess;
import batchimage.support.ServiceProcess.Postmaster;
import batchimage.support.StubEmbeddings;
import batchimage.support.TestLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database goes away in the middle of an import of a large file, the service (a child process) stays: the file
 * stays in the inbox, the service says why (its health and its log), and once the database is back the file is
 * imported once. Its own embedded PostgreSQL, killed, is started again by the service itself.
 */
class DatabaseOutageTest {

    private static final int BIG = 200_000;

    @TempDir
    Path work;

    private final List<ServiceProcess> children = new ArrayList<>();
    private final List<Path> folders = new ArrayList<>();
    private StubEmbeddings embeddings;
    private EmbeddedPostgres external;

    @BeforeEach
    void stub() {
        embeddings = new StubEmbeddings(32);
    }

    @AfterEach
    void cleanUp() throws Exception {
        ServiceProcess.cleanUp(children, folders);
        embeddings.close();
        if (external != null) {
            external.close();
        }
    }

    private ServiceProcess service(String name, Path data, Map<String, String> env) throws Exception {
        folders.add(data);
        var s = ServiceProcess.service(work, name, data, env);
        children.add(s);
        return s;
    }

    /** A PostgreSQL of the test's own (the tests' fast settings) on a port and folder that stay across its restarts. */
    private EmbeddedPostgres external(Path dir, int port) throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).setPort(port).start();
    }

    private Path dropBig(Path data, String theme) throws Exception {
        Path file = CrashBatch.write(work.resolve("batches"), theme, BIG);
        Files.createDirectories(data.resolve("inbox"));
        return Files.move(file, data.resolve("inbox").resolve(file.getFileName()));
    }

    private static void awaitImporting(ServiceProcess s, Path file) {
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertThat(s.alive()).as("the service ended: %s", s.tail()).isTrue();
            return s.log().contains(file.getFileName() + ": ") && s.log().contains("records so far");
        });
    }

    @Test
    void aDatabaseThatGoesAwayMidImportLeavesTheFileInTheInboxUntilItIsBackAndTheFileIsImportedOnce() throws Exception {
        int port = TestLibrary.freePort();
        Path pgDir = work.resolve("external-pg");
        external = external(pgDir, port);
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
        Path data = work.resolve("data");
        Path inInbox = dropBig(data, "outage");
        var env = ServiceProcess.quickEnv(embeddings.url(), false);
        env.put("DATABASE_URL", url);
        env.put("DATABASE_CONNECT_TIMEOUT_MS", "2000");
        // the run the outage interrupted is closed within a third of the lease once the database is back
        env.put("INGEST_LOCK_LEASE_SECONDS", "6");
        ServiceProcess s = service("service", data, env);
        awaitImporting(s, inInbox);

        external.close();
        external = null;
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(s.alive()).as("the service through the outage: %s", s.tail()).isTrue();
            assertThat(s.log()).contains("cannot import " + inInbox.getFileName() + " now, the database is unavailable");
            JsonNode db = s.healthCheck("database");
            assertThat(db).isNotNull();
            assertThat(db.path("status").asText()).isEqualTo("DOWN");
            assertThat(db.path("message").asText()).contains("cannot be reached");
        });
        // it stays where it is while the database is away, however often the inbox is polled
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> Files.exists(inInbox) && s.alive());
        assertThat(data.resolve("done")).isEmptyDirectory();
        assertThat(data.resolve("error")).isEmptyDirectory();

        external = external(pgDir, port);
        Path done = data.resolve("done").resolve(inInbox.getFileName());
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> {
            assertThat(s.alive()).as("the service after the outage: %s", s.tail()).isTrue();
            return Files.exists(done);
        });
        assertThat(TestLibrary.count(url, "SELECT count(*) FROM image_library")).isEqualTo(BIG);
        assertThat(TestLibrary.count(url, "SELECT count(DISTINCT name) FROM image_library")).isEqualTo(BIG);
        await().atMost(Duration.ofSeconds(30)).until(() -> TestLibrary.count(url, "SELECT count(*) FROM import_run WHERE outcome = 'running'") == 0);
        assertThat(TestLibrary.text(url, "SELECT string_agg(outcome || ':' || inserted, ',' ORDER BY id) FROM import_run")).isEqualTo("interrupted:0,done:" + BIG);
        assertThat(TestLibrary.text(url, "SELECT error FROM import_run WHERE outcome = 'interrupted'")).contains("the database is unavailable");
        s.awaitUp("database");
    }

    @Test
    void itsOwnEmbeddedPostgresKilledMidImportIsStartedAgainByTheServiceAndTheFileIsImportedOnce() throws Exception {
        Path data = work.resolve("data");
        Path inInbox = dropBig(data, "killedpg");
        ServiceProcess s = service("service", data, ServiceProcess.quickEnv(embeddings.url(), false));
        awaitImporting(s, inInbox);
        Postmaster killed = Postmaster.of(data);
        ProcessHandle.of(killed.pid()).orElseThrow().destroyForcibly();

        Path done = data.resolve("done").resolve(inInbox.getFileName());
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> {
            assertThat(s.alive()).as("the service after its PostgreSQL was killed: %s", s.tail()).isTrue();
            return Files.exists(done);
        });
        assertThat(s.log()).contains("the embedded PostgreSQL (pid " + killed.pid() + ") stopped unexpectedly", "embedded PostgreSQL runs again on port " + killed.port());
        Postmaster again = Postmaster.of(data);
        assertThat(again.pid()).isNotEqualTo(killed.pid());
        assertThat(again.port()).as("the port the service's pool connects to").isEqualTo(killed.port());
        assertThat(again.count("SELECT count(*) FROM image_library")).isEqualTo(BIG);
        assertThat(again.count("SELECT count(DISTINCT name) FROM image_library")).isEqualTo(BIG);
        assertThat(again.count("SELECT count(*) FROM import_run WHERE outcome = 'done' AND inserted = " + BIG)).isEqualTo(1);
        s.awaitUp("database");
    }
}
