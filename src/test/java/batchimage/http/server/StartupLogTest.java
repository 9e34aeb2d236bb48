package batchimage.http.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.LogCapture;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start log lists the endpoints at the address the server listens on, not Camel's http://0.0.0.0. */
class StartupLogTest {

    @Test
    void theEndpointsAreListedAtTheAddressTheServerListensOn(@TempDir Path data) {
        String db = TestPostgres.newDatabase("startup_log");
        String log;
        String port;
        try (LogCapture logs = new LogCapture()) {
            try (BatchImage app = TestLibrary.service(data, db, Map.of("index.enabled", "false", "local-embeddings.preload", ""))) {
                port = app.settings().get("batch-image.port");
                // logged once the context has started, which may be a moment after start() returns
                await().atMost(Duration.ofSeconds(30)).until(() -> logs.text().contains("HTTP endpoints on"));
                log = logs.text();
            }
        }
        String address = "http://127.0.0.1:" + port;
        assertThat(log).contains("HTTP endpoints on " + address, address + "/api/search (GET,POST)", address + "/pinecone/query (POST)",
                address + "/v1/embeddings (POST)", address + "/observe/health (GET)", address + "/static/{file} (GET,HEAD)");
        assertThat(log).doesNotContain("0.0.0.0");
        // on the loopback address, without a key, nothing to warn of
        assertThat(log).doesNotContain("BATCH_IMAGE_API_KEY is not set");
    }
}
