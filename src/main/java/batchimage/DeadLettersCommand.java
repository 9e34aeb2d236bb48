package batchimage;

import batchimage.config.Settings;
import batchimage.deadletter.DeadLetterList;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code batch-image dead-letters [--stage S] [--file F] [--limit N]}: lists them, newest first. */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = "Lists the dead letters (rejected input records, failed files, index failures), newest first.")
final class DeadLettersCommand extends AdminCommand {

    @Option(names = "--stage", paramLabel = "STAGE", description = "only this stage: ingest, ingest-file, index, index-prompt, index-description, ...")
    String stage;

    @Option(names = "--file", paramLabel = "FILE", description = "only those of this batch file (its name)")
    String file;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "at most N, 1 to 1000 (default 100)")
    String limit;

    private int checkedLimit;

    @Override
    String name() {
        return "dead-letters";
    }

    @Override
    void check() {
        checkedLimit = DeadLetterList.limit(limit);
    }

    @Override
    JsonNode remote(ServiceCall service) throws IOException, InterruptedException {
        var q = new StringBuilder("/api/dead-letters?limit=").append(checkedLimit);
        if (stage != null) {
            q.append("&stage=").append(URLEncoder.encode(stage, StandardCharsets.UTF_8));
        }
        if (file != null) {
            q.append("&file=").append(URLEncoder.encode(file, StandardCharsets.UTF_8));
        }
        return service.send(q.toString(), null);
    }

    @Override
    JsonNode inProcess(Settings settings) {
        try (var app = BatchImage.create(settings, BatchImage.Mode.ONE_SHOT).start()) {
            return json.valueToTree(app.deadLetterList().list(stage, file, checkedLimit));
        }
    }

    @Override
    String render(JsonNode a) {
        var s = new StringBuilder();
        for (JsonNode d : a.path("dead_letters")) {
            s.append(String.format("#%d  %s  %s  %s", d.path("id").asLong(), d.path("created_at").asText(), d.path("stage").asText(), d.path("state").asText()));
            if (!d.path("source_file").isNull()) {
                s.append("  ").append(d.path("source_file").asText());
                if (!d.path("sub_theme").isNull()) {
                    s.append(" ").append(d.path("sub_theme").asText()).append("[").append(d.path("position").asText()).append("]");
                }
            }
            if (!d.path("field").isNull()) {
                s.append("  field ").append(d.path("field").asText());
            }
            s.append("\n    ").append(d.path("reason").asText()).append('\n');
        }
        s.append(String.format("%,d of %,d dead letters%n", a.path("dead_letters").size(), a.path("total").asLong()));
        return s.toString();
    }
}
