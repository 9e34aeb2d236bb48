package batchimage;

import batchimage.config.Settings;
import batchimage.enrich.Enricher;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batch-image enrich}: runs a pass of the enrich route now, in the service at {@code --url} when one
 * answers ({@code POST /api/enrich}), else in this process against the data folder (the service indexes the
 * changed records when it next runs). Prints what the pass did and where the library stands.
 */
@Command(name = "enrich", mixinStandardHelpOptions = true,
        description = "Fills missing tags and file paths now: from ComfyUI's history (COMFYUI_URL) and the media folders (MEDIA_DIRS).")
final class EnrichCommand implements Callable<Integer> {

    @CommandLine.Mixin
    Application.Common common;

    @Option(names = "--retry", description = "examine again the records given up on")
    boolean retry;

    @Option(names = "--url", paramLabel = "URL", description = "the service to ask (default http://127.0.0.1:8080); when none answers, the pass runs here against --data")
    String url;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Settings settings = common.settings(Map.of());
            var service = new ServiceCall(url, settings);
            String base = service.base();
            JsonNode answer;
            try {
                answer = remote(service);
            } catch (ConnectException | HttpConnectTimeoutException e) {
                err.println("batch-image enrich: no service answers at " + base + "; enriching " + settings.dataDir() + " in this process");
                err.flush();
                answer = inProcess(settings);
                if (answer == null) {
                    err.println("batch-image enrich: no library in " + settings.dataDir() + ": import files first, or give --data or --url");
                    err.flush();
                    return 1;
                }
            }
            if (common.json) {
                out.println(json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(answer));
            } else {
                out.print(render(answer));
            }
            out.flush();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("batch-image enrich: interrupted");
            err.flush();
            return 1;
        } catch (IOException | RuntimeException e) {
            err.println("batch-image enrich: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    static String render(JsonNode a) {
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

    private JsonNode remote(ServiceCall service) throws IOException, InterruptedException {
        var body = json.createObjectNode();
        body.put("retry", retry);
        try {
            return service.send("/api/enrich", body, Duration.ofHours(1));
        } catch (batchimage.search.ApiError e) {
            throw new IOException("the service at " + service.base() + " answered " + e.status() + ": " + e.getMessage(), e);
        }
    }

    /** The pass run here; null when there is no library in the data folder. */
    private JsonNode inProcess(Settings settings) throws IOException {
        boolean embedded = settings.get("database.url").isBlank();
        if (embedded && !Files.isRegularFile(settings.dataDir().resolve("postgres").resolve("PG_VERSION"))) {
            return null;
        }
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
