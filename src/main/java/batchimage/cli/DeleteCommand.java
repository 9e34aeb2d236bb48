package batchimage.cli;

import batchimage.app.BatchImage;

import batchimage.config.Settings;
import batchimage.search.SearchRequest;
import batchimage.library.DeleteRequest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code batch-image delete --filter JSON [--dry-run] [--purge]}: through the service, else in this process. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Marks the records a filter matches deleted and removes their vectors from both namespaces; --dry-run only counts, --purge removes the rows too.")
final class DeleteCommand extends AdminCommand {

    @Option(names = "--filter", required = true, paramLabel = "JSON",
            description = "Pinecone filter over name, file_path, description, theme, sub_theme, original_prompt, tags, e.g. '{\"sub_theme\": \"ANIMAL\"}'")
    String filter;

    @Option(names = "--dry-run", description = "count what would be deleted; change nothing")
    boolean dryRun;

    @Option(names = "--purge", description = "remove the rows from PostgreSQL as well (after their vectors)")
    boolean purge;

    private DeleteRequest request;

    @Override
    String name() {
        return "delete";
    }

    @Override
    void check() {
        request = DeleteRequest.of(SearchRequest.parseFilter(filter), dryRun, purge);
    }

    @Override
    JsonNode remote(ServiceCall service) throws IOException, InterruptedException {
        var body = json.createObjectNode();
        body.set("filter", request.filterJson());
        body.put("dry_run", dryRun);
        body.put("purge", purge);
        return service.send("/api/delete", body);
    }

    @Override
    JsonNode inProcess(Settings settings) {
        try (var app = BatchImage.create(settings, BatchImage.Mode.ADMIN).start()) {
            return json.valueToTree(app.deleter().delete(request).asMap(request.filterJson()));
        }
    }

    @Override
    String render(JsonNode a) {
        JsonNode v = a.path("vectors_removed");
        boolean dry = a.path("dry_run").asBoolean();
        var s = new StringBuilder();
        s.append(String.format("%s%,d records matched; %s %,d deleted; %s vectors: prompt %,d, description %,d",
                dry ? "dry run: " : "", a.path("matched").asLong(), dry ? "would mark" : "marked", a.path("deleted").asLong(),
                dry ? "would remove" : "removed", v.path("prompt").asLong(), v.path("description").asLong()));
        if (a.path("purge").asBoolean()) {
            s.append(String.format("; %s %,d rows", dry ? "would purge" : "purged", a.path("purged").asLong()));
        }
        return s.append(String.format(" (%,d ms)%n", a.path("took_ms").asLong())).toString();
    }
}
