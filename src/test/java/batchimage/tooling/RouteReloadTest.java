package batchimage.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run --reload}: a good edit of routes/ applies live; a bad one leaves the running routes as they were. */
class RouteReloadTest {

    @TempDir
    Path home;
    private Path data;
    private String db;
    private BatchImage app;
    private Path ingestYaml;
    private String original;

    @BeforeEach
    void start() throws Exception {
        ingestYaml = TestLibrary.copyProject(home).resolve("ingest.camel.yaml");
        original = Files.readString(ingestYaml);
        data = home.resolve("data");
        db = TestPostgres.newDatabase("reload");
        app = BatchImage.create(TestLibrary.settings(home, data, db, TestLibrary.NO_INDEXING), BatchImage.Mode.SERVICE).start();
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private void drop(String name, String subTheme) throws Exception {
        String body = "{\"" + subTheme + "\": [{\"task_id\": \"" + java.util.UUID.randomUUID() + "\", \"prompt\": \"p\", \"tags\": \"t\"}]}";
        Path tmp = data.resolve(name + ".tmp");
        Files.writeString(tmp, body);
        Files.move(tmp, data.resolve("inbox").resolve(name));
    }

    private void awaitImported(String subTheme) {
        await().atMost(Duration.ofSeconds(20))
                .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE sub_theme = '" + subTheme + "'") == 1);
    }

    @Test
    void aSavedEditAppliesWithoutARestart() throws Exception {
        RouteReloader reloader = app.watchRoutes();
        // the user widens what the inbox accepts
        Files.writeString(ingestYaml, original.replace("antInclude: batch_image_data_*_final.json",
                "antInclude: \"batch_image_data_*_final.json,*.batch.json\""), StandardCharsets.UTF_8);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            drop("probe" + System.nanoTime() + ".batch.json", "PROBE");
            Thread.sleep(1500);
            return TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE sub_theme = 'PROBE'") > 0;
        });
        assertThat(app.context().getRouteController().getRouteStatus("ingest-inbox")).isEqualTo(ServiceStatus.Started);
        reloader.close();
    }

    @Test
    void anEditThatDoesNotMatchCamelsSchemaIsRefusedWithWhereAndTheRoutesKeepRunning() throws Exception {
        RouteReloader reloader = new RouteReloader(app.context(), home.resolve("routes"));
        reloader.start();
        String broken = original.replace("- to: direct:import-file", "- tto: direct:import-file");
        Files.writeString(ingestYaml, broken);
        RouteReloader.Outcome outcome = reloader.apply(ingestYaml);
        assertThat(outcome.applied()).isFalse();
        // refused by the schema, before Camel parses it
        assertThat(outcome.error()).startsWith("Camel's YAML DSL schema finds 1 problem in " + ingestYaml)
                .contains(ingestYaml + ":" + RoutesSchemaTest.where(broken, "tto: direct:import-file") + ": $[")
                .contains("property 'tto' is not defined");
        assertThat(app.context().getRoutes()).extracting(r -> r.getRouteId()).contains("ingest-inbox", "import-file");
        drop("batch_image_data_a_final.json", "AFTER_BAD_YAML");
        awaitImported("AFTER_BAD_YAML");
        reloader.close();
    }

    @Test
    void anEditWhoseRoutesCannotStartIsRolledBack() throws Exception {
        RouteReloader reloader = new RouteReloader(app.context(), home.resolve("routes"));
        reloader.start();
        Files.writeString(ingestYaml, original.replace("- to: direct:import-file", "- to: nosuchcomponent:import-file"));
        RouteReloader.Outcome outcome = reloader.apply(ingestYaml);
        assertThat(outcome.applied()).isFalse();
        assertThat(outcome.error()).contains("nosuchcomponent");
        assertThat(app.context().getRouteController().getRouteStatus("ingest-inbox")).isEqualTo(ServiceStatus.Started);
        drop("batch_image_data_b_final.json", "AFTER_BAD_ROUTE");
        awaitImported("AFTER_BAD_ROUTE");

        // and a good edit after that still applies
        Files.writeString(ingestYaml, original.replace("{{ingest.batch-size}}", "1"));
        assertThat(reloader.apply(ingestYaml).applied()).isTrue();
        drop("batch_image_data_c_final.json", "AFTER_GOOD_EDIT");
        awaitImported("AFTER_GOOD_EDIT");
        reloader.close();
    }
}
