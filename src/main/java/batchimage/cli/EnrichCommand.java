package batchimage.cli;

import batchimage.app.BatchImage;

import batchimage.config.Settings;
import batchimage.enrich.Enricher;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batch-image enrich}: runs a pass of the enrich route now, in the service at {@code --url} when one
 * answers ({@code POST /api/enrich}), else in this process against the data folder (the service indexes the
 * changed records when it next runs). Prints what the pass did and where the library stands.
 */
@Command(name = "enrich", mixinStandardHelpOptions = true,
        description = "Fills missing tags and file paths now: from ComfyUI's history (COMFYUI_URL) and the media folders (MEDIA_DIRS).")
final class EnrichCommand extends AdminCommand {

    @Option(names = "--retry", description = "examine again the records given up on")
    boolean retry;

    @Override
    String name() {
        return "enrich";
    }

    @Override
    void check() {
        // --retry is all there is
    }

    @Override
    String render(JsonNode a) {
        var sb = new StringBuilder();
        JsonNode run = a.path("run");
        if (run.isObject()) {
            sb.append(String.format("enrich: %,d records examined in %.1f s: %,d tags and %,d paths filled; %,d complete, %,d waiting, %,d given up%n",
                    run.path("examined").asLong(), run.path("seconds").asDouble(), run.path("tags_filled").asLong(),
                    run.path("paths_filled").asLong(), run.path("complete").asLong(), run.path("waiting").asLong(), run.path("given_up").asLong()));
        }
        JsonNode lib = a.path("library");
        sb.append(String.format("library: %,d active records: %,d missing tags, %,d missing paths, %,d enriched, %,d waiting, %,d given up%n",
                lib.path("records").asLong(), lib.path("missing_tags").asLong(), lib.path("missing_paths").asLong(),
                lib.path("enriched").asLong(), lib.path("waiting").asLong(), lib.path("given_up").asLong()));
        for (JsonNode r : lib.path("given_up_reasons")) {
            sb.append(String.format("  given up (%,d): %s%n", r.path("records").asLong(), r.path("reason").asText()));
        }
        return sb.toString();
    }

    @Override
    JsonNode remote(ServiceCall service) throws IOException, InterruptedException {
        var body = json.createObjectNode();
        body.put("retry", retry);
        return service.send("/api/enrich", body, Duration.ofHours(1));
    }

    /** The pass run here (AdminCommand has checked that there is a library); the service indexes what changed when it next runs. */
    @Override
    JsonNode inProcess(Settings settings) throws IOException {
        try (var app = BatchImage.create(settings, BatchImage.Mode.ONE_SHOT).start()) {
            var enricher = app.context().getRegistry().lookupByNameAndType("enricher", Enricher.class);
            int reopened = 0;
            if (retry) {
                reopened = enricher.retryGivenUp();
            }
            ProducerTemplate producer = app.context().createProducerTemplate();
            Exchange done = producer.send("direct:enrich", e -> { });
            Throwable failure = done.getException() != null ? done.getException() : done.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            if (failure != null) {
                throw new IOException("the enrich pass stopped: " + failure.getMessage(), failure);
            }
            var answer = new LinkedHashMap<String, Object>(done.getMessage().getBody(Map.class));
            if (retry) {
                answer.put("retried", reopened);
            }
            return json.valueToTree(answer);
        } catch (java.sql.SQLException e) {
            throw new IOException("cannot read the library: " + e.getMessage(), e);
        }
    }
}
