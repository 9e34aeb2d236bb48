package batchimage;

import batchimage.config.Settings;
import batchimage.search.ApiError;
import batchimage.search.SearchRequest;
import batchimage.search.SearchTable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code batch-image search}: asks the running service ({@code --url}) and, when none answers, searches
 * the data folder in this process (the local model, the local index read-side, the database). Exit
 * codes: 0 found (or found nothing), 2 bad arguments, 1 anything else.
 */
@Command(name = "search", mixinStandardHelpOptions = true, description = "Searches the library by meaning (QUERY), narrowed by --filter; a filter without a query lists the records it matches.")
final class SearchCommand implements Callable<Integer> {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    @CommandLine.Mixin
    Application.Common common;

    @Parameters(arity = "0..1", paramLabel = "QUERY", description = "what to look for, in words; leave it out (or \"\") to list what --filter matches")
    String query;

    @Option(names = "--namespace", paramLabel = "prompt|description|both", defaultValue = "both",
            description = "search the prompts, the tags (description), or both fused by rank (default)")
    String namespace;

    @Option(names = "--filter", paramLabel = "JSON", description = "Pinecone filter over name, file_path, description, theme, sub_theme, original_prompt, tags, e.g. '{\"sub_theme\": \"ANIMAL\"}'")
    String filter;

    @Option(names = {"--top-k", "-k"}, paramLabel = "N", defaultValue = "10", description = "hits to show, 1 to 1000 (default 10)")
    int topK;

    @Option(names = "--url", paramLabel = "URL", description = "the service to ask (default http://127.0.0.1:8080, or BATCH_IMAGE_HOST/PORT); when none answers, the search runs here against --data")
    String url;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SearchRequest request;
        try {
            request = SearchRequest.of(query, namespace, topK, true, SearchRequest.parseFilter(filter));
        } catch (ApiError e) {
            err.println("batch-image search: " + option(e.field()) + e.getMessage());
            err.flush();
            return USAGE;
        }
        try {
            Settings settings = common.settings(Map.of());
            var service = new ServiceCall(url, settings);
            String base = service.base();
            JsonNode answer;
            try {
                answer = remote(service, request);
            } catch (ConnectException | HttpConnectTimeoutException e) {
                answer = null;
            } catch (ApiError e) {
                err.println("batch-image search: the service at " + base + " answered " + e.status() + ": " + e.getMessage());
                err.flush();
                return e.status() == 400 ? USAGE : FAILED;
            }
            if (answer == null) {
                err.println("batch-image search: no service answers at " + base + "; searching " + settings.dataDir() + " in this process");
                err.flush();
                answer = inProcess(settings, request);
                if (answer == null) {
                    err.println("batch-image search: no library in " + settings.dataDir() + " (no " + settings.dataDir().resolve("postgres")
                            + " and no DATABASE_URL): import files first, or give --data or --url");
                    err.flush();
                    return FAILED;
                }
            }
            if (common.json) {
                out.println(json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(answer));
            } else {
                out.print(SearchTable.render(answer));
            }
            out.flush();
            return OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("batch-image search: interrupted");
            err.flush();
            return FAILED;
        } catch (IOException | RuntimeException e) {
            err.println("batch-image search: " + e.getMessage());
            err.flush();
            return FAILED;
        }
    }

    /** Which option a refused part of the request came from. */
    private static String option(String field) {
        if (field == null) {
            return "";
        }
        if (field.equals("query")) {
            return "";
        }
        if (field.equals("top_k")) {
            return "--top-k: ";
        }
        return field.startsWith("filter") ? "--filter: " : "--" + field + ": ";
    }

    static String defaultUrl(Settings settings) {
        String host = settings.get("batch-image.host");
        if (host.isBlank() || host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        return "http://" + host + ":" + settings.get("batch-image.port");
    }

    /** The service's answer; ConnectException (or a connect timeout) when none answers there, ApiError when it refuses. */
    private JsonNode remote(ServiceCall service, SearchRequest request) throws IOException, InterruptedException {
        ObjectNode body = json.createObjectNode();
        body.put("query", request.query());
        body.put("namespace", request.namespace());
        body.put("top_k", request.topK());
        if (request.filterJson() != null) {
            body.set("filter", request.filterJson());
        }
        return service.send("/api/search", body, Duration.ofMinutes(2));
    }

    /** The search done here against the data folder; null when there is no library there. */
    private JsonNode inProcess(Settings settings, SearchRequest request) {
        boolean embedded = settings.get("database.url").isBlank();
        if (embedded && !Files.isRegularFile(settings.dataDir().resolve("postgres").resolve("PG_VERSION"))) {
            return null;
        }
        try (var app = BatchImage.create(settings, BatchImage.Mode.SEARCH).start()) {
            return json.valueToTree(app.search().search(request));
        }
    }
}
