package batchimage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.support.RoutesUnderTest;
import batchimage.support.TestLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

/**
 * A failure that is neither the file's JSON nor the database (here a fault woven into the route by AdviceWith, as a
 * full disk or a bug would raise it) in the third batch of a file: the file is imported whole or not at all, so
 * nothing of its first two batches is kept, and it goes to error/ with a report that names the file and the fault.
 */
class FailureMidFileTest extends RoutesUnderTest {

    private final AtomicInteger batches = new AtomicInteger();

    @Override
    protected String[] routesFiles() {
        return new String[] {"ingest.camel.yaml", "errors.camel.yaml"};
    }

    @Override
    protected Map<String, String> settings() {
        return Map.of("index.enabled", "false", "enrich.enabled", "false", "ingest.batch-size", "2");
    }

    @Override
    public boolean isUseAdviceWith() {
        return true;
    }

    @Test
    void aFaultInTheThirdBatchKeepsNothingOfTheFileAndSendsItToErrorWithAReport() throws Exception {
        AdviceWith.adviceWith(context, "import-file", route -> route.weaveByToString(".*method:store.*").before().process(exchange -> {
            if (batches.incrementAndGet() == 3) {
                throw new IllegalStateException("no space left on device (woven in by the test)");
            }
        }));
        context.start();
        var done = new NotifyBuilder(context).fromRoute("ingest-inbox").whenDone(1).create();

        var records = new StringBuilder("{\"MID\": [");
        for (int i = 0; i < 6; i++) {
            records.append(i == 0 ? "" : ",").append("{\"task_id\": \"").append(UUID.randomUUID()).append("\", \"prompt\": \"p").append(i)
                    .append("\", \"tags\": \"t\"}");
        }
        String name = "batch_image_data_mid_final.json";
        Path tmp = data().resolve(name + ".part");
        Files.writeString(tmp, records.append("]}").toString());
        Files.move(tmp, data().resolve("inbox").resolve(name));

        assertThat(done.matches(60, TimeUnit.SECONDS)).as("the inbox route finished with the file").isTrue();
        // the file component moves the file once the exchange is done
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(data().resolve("error").resolve(name)));
        assertThat(batches.get()).as("batches of 2 records the import began to store").isEqualTo(3);
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library")).as("records kept from the file").isZero();
        assertThat(data().resolve("inbox").resolve(name)).doesNotExist();
        String report = Files.readString(data().resolve("error").resolve(name + ".error.txt"));
        assertThat(report).contains(name, "no space left on device", "stored:    nothing from this file");
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM import_run WHERE file_name = '" + name + "' AND outcome = 'error'")).isEqualTo(1);
    }
}
