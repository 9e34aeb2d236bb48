package batchimage.cli;

import batchimage.app.BatchImage;

import batchimage.config.Settings;
import batchimage.search.SearchRequest;
import batchimage.search.SearchTable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code batch-image search}: asks the running service ({@code --url}) and, when none answers, searches
 * the data folder in this process (the local model, the local index read-side, the database). Exit
 * codes: 0 found (or found nothing), 2 bad arguments, 1 anything else.
 */
@Command(name = "search", mixinStandardHelpOptions = true, description = "Searches the library by meaning (QUERY), narrowed by --filter; a filter without a query lists the records it matches; --like ID finds the records most like that one.")
final class SearchCommand extends AdminCommand {

    @Parameters(arity = "0..1", paramLabel = "QUERY", description = "what to look for, in words; leave it out (or \"\") to list what --filter matches")
    String query;

    @Option(names = "--mode", paramLabel = "hybrid|dense|lexical",
            description = "hybrid: the words and both namespaces' vectors fused by rank (default); dense: the vectors alone (the default with --namespace); lexical: the words alone")
    String mode;

    @Option(names = "--namespace", paramLabel = "prompt|description|both",
            description = "the dense lists to search: the prompts, the tags (description), or both fused by rank; given alone it means --mode dense")
    String namespace;

    @Option(names = "--filter", paramLabel = "JSON", description = "Pinecone filter over name, file_path, description, theme, sub_theme, original_prompt, tags, e.g. '{\"sub_theme\": \"ANIMAL\"}'")
    String filter;

    @Option(names = "--like", paramLabel = "ID", description = "the records nearest to this record's own vectors (its id), instead of a QUERY; --filter and --top-k apply, the record itself is never shown")
    String like;

    @Option(names = {"--top-k", "-k"}, paramLabel = "N", defaultValue = "10", description = "hits to show, 1 to 1000 (default 10)")
    int topK;

    private SearchRequest request;

    @Override
    String name() {
        return "search";
    }

    @Override
    void check() {
        request = SearchRequest.of(query, namespace, topK, true, SearchRequest.parseFilter(filter), like, mode);
    }

    /** The query is the command's parameter, not an option. */
    @Override
    String option(String field) {
        return "query".equals(field) ? "" : super.option(field);
    }

    /** The service's answer; ConnectException (or a connect timeout) when none answers there, ApiError when it refuses. */
    @Override
    JsonNode remote(ServiceCall service) throws IOException, InterruptedException {
        ObjectNode body = json.createObjectNode();
        body.put("query", request.query());
        if (namespace != null && !namespace.isBlank()) {
            body.put("namespace", request.namespace());
        }
        body.put("mode", request.mode());
        body.put("top_k", request.topK());
        if (request.like() != null) {
            body.put("like", request.like());
        }
        if (request.filterJson() != null) {
            body.set("filter", request.filterJson());
        }
        return service.send("/api/search", body, Duration.ofMinutes(2));
    }

    @Override
    String render(JsonNode answer) {
        return SearchTable.render(answer);
    }

    /** The search done here against the data folder (AdminCommand has checked that there is a library). */
    @Override
    JsonNode inProcess(Settings settings) {
        try (var app = BatchImage.create(settings, BatchImage.Mode.SEARCH).start()) {
            // the words of what was imported since a service last ran: the feed's timer would come too late
            app.lexicalFeed().catchUp();
            return json.valueToTree(app.search().search(request));
        }
    }
}
