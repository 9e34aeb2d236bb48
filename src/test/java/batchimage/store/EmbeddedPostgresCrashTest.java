package batchimage.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.support.CrashBatch;
import batchimage.support.ServiceProcess;
import batchimage.support.ServiceProcess.Postmaster;
import batchimage.support.StubEmbeddings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service as a child process on a data folder with its own embedded PostgreSQL (no DATABASE_URL), its JVM
 * killed with SIGKILL while its PostgreSQL goes on running, as {@code kill -9} of the service does. What the next
 * process on the folder finds: the file imported once, the killed attempt's run closed, a durable server, and
 * nothing for the user to clean up. The model is not under test: embeddings come from a stub.
 */
class EmbeddedPostgresCrashTest {

    private static final int BIG = 200_000;

    @TempDir
    Path work;

    private final List<ServiceProcess> children = new ArrayList<>();
    private final List<Path> folders = new ArrayList<>();
    private final List<Process> others = new ArrayList<>();
    private StubEmbeddings embeddings;

    @BeforeEach
    void stub() {
        embeddings = new StubEmbeddings(32);
    }

    @AfterEach
    void cleanUp() throws Exception {
        ServiceProcess.cleanUp(children, folders);
        others.forEach(Process::destroyForcibly);
        embeddings.close();
    }

    private Map<String, String> env(boolean index) {
        return ServiceProcess.quickEnv(embeddings.url(), index);
    }

    private ServiceProcess service(String name, Path data, Map<String, String> env) throws Exception {
        if (!folders.contains(data)) {
            folders.add(data);
        }
        var s = ServiceProcess.service(work, name, data, env);
        children.add(s);
        return s;
    }

    @Test
    void aServiceKilledInTheMiddleOfAnImportImportsTheFileOnceAfterItsRestartOnADurableServer() throws Exception {
        Path data = work.resolve("data");
        Path file = CrashBatch.write(work.resolve("batches"), "killed", BIG);
        Files.createDirectories(data.resolve("inbox"));
        Path inInbox = Files.move(file, data.resolve("inbox").resolve(file.getFileName()));

        ServiceProcess first = service("first", data, env(false));
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertThat(first.alive()).as("the service ended: %s", first.tail()).isTrue();
            return first.log().contains(file.getFileName() + ": ") && first.log().contains("records so far");
        });
        first.kill();

        Postmaster orphan = Postmaster.of(data);
        assertThat(orphan).isNotNull();
        assertThat(orphan.alive()).as("the killed service's PostgreSQL runs on").isTrue();
        assertThat(inInbox).as("the file of the interrupted import").exists();
        assertThat(orphan.count("SELECT count(*) FROM image_library")).as("records of an uncommitted file").isZero();
        assertThat(orphan.count("SELECT count(*) FROM import_run WHERE outcome = 'running'")).isEqualTo(1);

        ServiceProcess second = service("second", data, env(false));
        Path done = data.resolve("done").resolve(file.getFileName());
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(300)).until(() -> {
            assertThat(second.alive()).as("the restarted service ended: %s", second.tail()).isTrue();
            return Files.exists(done);
        });
        assertThat(inInbox).doesNotExist();
        assertThat(second.log()).as("what the restart says of the server it found")
                .containsOnlyOnce("(pid " + orphan.pid() + ", port " + orphan.port() + ") was left running by a batch-image process that ended")
                .doesNotContain("already runs on the data folder");
        assertThat(orphan.alive()).as("the orphaned server").isFalse();

        // every record once, the killed attempt closed, one successful run
        Postmaster pm = Postmaster.of(data);
        assertThat(pm.count("SELECT count(*) FROM image_library")).isEqualTo(BIG);
        assertThat(pm.count("SELECT count(DISTINCT name) FROM image_library WHERE name LIKE 'killed\\_%' AND source_file = '"
                + file.getFileName() + "'")).isEqualTo(BIG);
        await().atMost(Duration.ofSeconds(30)).until(() -> pm.count("SELECT count(*) FROM import_run WHERE outcome = 'running'") == 0);
        assertThat(pm.text("SELECT string_agg(outcome || ':' || inserted, ',' ORDER BY id) FROM import_run")).isEqualTo("interrupted:0,done:" + BIG);
        assertThat(pm.text("SELECT error FROM import_run WHERE outcome = 'interrupted'")).contains("ended before the file was stored");

        // the server the service runs is durable, and says so on its command line
        assertThat(pm.text("SHOW fsync")).isEqualTo("on");
        assertThat(pm.text("SHOW synchronous_commit")).isEqualTo("on");
        assertThat(pm.text("SHOW full_page_writes")).isEqualTo("on");
        assertThat(pm.commandLine()).contains("-c fsync=on", "-c synchronous_commit=on").doesNotContain(" -F");

        // a stop as a user stops it stops its PostgreSQL too
        second.stop();
        assertThat(ProcessHandle.of(pm.pid()).map(ProcessHandle::isAlive).orElse(false)).as("PostgreSQL after the service stopped").isFalse();
    }

    @Test
    void anImportBesideAnOrphanedDatabaseStoresAndIndexesWhatItImportsItself() throws Exception {
        Path data = work.resolve("data");
        ServiceProcess killed = service("killed", data, env(false));
        killed.awaitUp("database");
        killed.kill();
        Postmaster orphan = Postmaster.of(data);
        assertThat(orphan.alive()).isTrue();

        Path file = CrashBatch.write(work.resolve("batches"), "beside", 300);
        ServiceProcess cli = ServiceProcess.command(work, "import", env(true), "import", "--json", "--data", data.toString(), file.toString());
        children.add(cli);
        assertThat(cli.process().waitFor(3, TimeUnit.MINUTES)).as("the import ends: %s", cli.tail()).isTrue();
        assertThat(cli.process().exitValue()).as(cli.tail()).isZero();
        JsonNode doc = new ObjectMapper().readTree(cli.out());
        assertThat(doc.get("files").get(0).get("outcome").asText()).isEqualTo("done");
        assertThat(doc.get("files").get(0).get("inserted").asLong()).isEqualTo(300);
        assertThat(doc.get("indexed").get("indexed").asLong()).as("indexed by the import itself").isEqualTo(300);
        assertThat(cli.log()).contains("was left running by a batch-image process that ended")
                .doesNotContain("a batch-image service runs on this data folder");
        assertThat(orphan.alive()).isFalse();
        Postmaster after = Postmaster.of(data);
        assertThat(after == null || !after.alive()).as("the import stopped the server it started").isTrue();
    }

    @Test
    void aPostmasterPidOrLockFileLeftByAKilledServiceNeverStopsTheRestart() throws Exception {
        Path data = work.resolve("data");
        ServiceProcess first = service("first", data, env(false));
        first.awaitUp("database");
        // power lost: the service and its server end at once, their postmaster.pid and epg-lock stay
        Postmaster killed = Postmaster.of(data);
        first.kill();
        ProcessHandle.of(killed.pid()).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofSeconds(30)).until(() -> !killed.alive());
        Path pidFile = data.resolve("postgres").resolve("postmaster.pid");
        assertThat(pidFile).exists();
        assertThat(data.resolve("postgres").resolve("epg-lock")).exists();

        ServiceProcess second = service("second", data, env(false));
        second.awaitUp("database");
        second.kill();
        Postmaster left = Postmaster.of(data);
        ProcessHandle.of(left.pid()).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofSeconds(30)).until(() -> !left.alive());

        // the dead server's pid is now another program's: PostgreSQL alone would refuse to start
        Process stranger = new ProcessBuilder("sleep", "600").start();
        others.add(stranger);
        List<String> lines = new ArrayList<>(Files.readAllLines(pidFile));
        lines.set(0, String.valueOf(stranger.pid()));
        Files.write(pidFile, lines, StandardCharsets.UTF_8);

        ServiceProcess third = service("third", data, env(false));
        third.awaitUp("database");
        assertThat(third.log()).contains("removed the postmaster.pid a server that ended left in", "its pid " + stranger.pid() + " is now another program's");
        assertThat(stranger.isAlive()).as("the other program").isTrue();
        assertThat(Postmaster.of(data).count("SELECT count(*) FROM flyway_schema_history WHERE success")).isPositive();
    }
}
