package batchimage.cli;

import batchimage.app.BatchImage;

import batchimage.config.Settings;
import batchimage.deadletter.DeadLetterList;
import batchimage.deadletter.DeadLetterReplay;
import batchimage.http.ApiError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batch-image dead-letters [--stage S] [--file F] [--limit N]}: lists them, newest first;
 * {@code --replay ID [--record JSON|@file]}, {@code --replay-all [--stage S] [--file F]}, {@code --dismiss ID [--note TEXT]}
 * act on them. A replay that leaves a dead letter open exits 1.
 */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = "Lists the dead letters (rejected input records, failed files, index failures), newest first; replays or dismisses them.")
final class DeadLettersCommand extends AdminCommand {

    @Option(names = "--stage", paramLabel = "STAGE", description = "only this stage: ingest, ingest-file, index, index-prompt, index-description, ...")
    String stage;

    @Option(names = "--file", paramLabel = "FILE", description = "only those of this batch file (its name)")
    String file;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "at most N, 1 to 1000 (default 100)")
    String limit;

    @Option(names = "--replay", paramLabel = "ID", description = "replay this open dead letter: a rejected record is imported again, a failed file"
            + " in error/ is imported again, an index or enrich failure puts its records back to that route")
    String replay;

    @Option(names = "--record", paramLabel = "JSON|@FILE", description = "with --replay of a rejected record: the corrected record (JSON object, or @file holding it)")
    String record;

    @Option(names = "--replay-all", description = "replay every open dead letter (of --stage and --file), oldest first")
    boolean replayAll;

    @Option(names = "--dismiss", paramLabel = "ID", description = "set this open dead letter aside; nothing else changes")
    String dismiss;

    @Option(names = "--note", paramLabel = "TEXT", description = "with --dismiss: why")
    String note;

    private enum Action { LIST, REPLAY, REPLAY_ALL, DISMISS }

    private Action action;
    private long letter;
    private JsonNode corrected;
    private int checkedLimit;

    @Override
    String name() {
        return "dead-letters";
    }

    @Override
    void check() {
        checkedLimit = DeadLetterList.limit(limit);
        int actions = (replay != null ? 1 : 0) + (replayAll ? 1 : 0) + (dismiss != null ? 1 : 0);
        if (actions > 1) {
            throw ApiError.badRequest(null, "give only one of --replay ID, --replay-all and --dismiss ID");
        }
        action = replay != null ? Action.REPLAY : replayAll ? Action.REPLAY_ALL : dismiss != null ? Action.DISMISS : Action.LIST;
        if (record != null && action != Action.REPLAY) {
            throw ApiError.badRequest("record", "a corrected record goes with --replay ID");
        }
        if (note != null && action != Action.DISMISS) {
            throw ApiError.badRequest("note", "a note goes with --dismiss ID");
        }
        if ((stage != null || file != null) && (action == Action.REPLAY || action == Action.DISMISS)) {
            throw ApiError.badRequest(stage != null ? "stage" : "file", "--stage and --file choose what is listed or replayed with --replay-all,"
                    + " not one dead letter");
        }
        if (action == Action.REPLAY || action == Action.DISMISS) {
            String option = action == Action.REPLAY ? "replay" : "dismiss";
            try {
                letter = DeadLetterReplay.id(action == Action.REPLAY ? replay : dismiss);
            } catch (ApiError e) {
                throw ApiError.badRequest(option, e.getMessage());
            }
        }
        if (record != null) {
            corrected = correctedRecord(record);
        }
    }

    /** --record: a JSON object, given inline or as @file. */
    private JsonNode correctedRecord(String given) {
        String text = given;
        if (given.startsWith("@")) {
            try {
                text = Files.readString(Path.of(given.substring(1)), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw ApiError.badRequest("record", "cannot read " + given.substring(1) + ": " + e.getMessage());
            }
        }
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (IOException e) {
            throw ApiError.badRequest("record", "not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (node == null || !node.isObject()) {
            throw ApiError.badRequest("record", "the corrected record must be a JSON object such as {\"task_id\": \"...\", \"prompt\": \"...\"}");
        }
        return node;
    }

    @Override
    JsonNode remote(ServiceCall service) throws IOException, InterruptedException {
        switch (action) {
            case REPLAY -> {
                var body = json.createObjectNode();
                if (corrected != null) {
                    body.set("record", corrected);
                }
                return service.send("/api/dead-letters/" + letter + "/replay", body);
            }
            case DISMISS -> {
                var body = json.createObjectNode();
                if (note != null) {
                    body.put("note", note);
                }
                return service.send("/api/dead-letters/" + letter + "/dismiss", body);
            }
            case REPLAY_ALL -> {
                var body = json.createObjectNode();
                if (stage != null) {
                    body.put("stage", stage);
                }
                if (file != null) {
                    body.put("file", file);
                }
                return service.send("/api/dead-letters/replay", body);
            }
            default -> {
                return list(service);
            }
        }
    }

    private JsonNode list(ServiceCall service) throws IOException, InterruptedException {
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
            if (action == Action.LIST) {
                return json.valueToTree(app.deadLetterList().list(stage, file, checkedLimit));
            }
            var replays = app.context().getRegistry().lookupByNameAndType("deadLetterReplay", DeadLetterReplay.class);
            Map<String, Object> answer = switch (action) {
                case REPLAY -> replays.replay(letter, corrected);
                case DISMISS -> replays.dismiss(letter, note);
                default -> replays.replayAll(stage, file);
            };
            var out = (ObjectNode) json.valueToTree(answer);
            if (action != Action.DISMISS) {
                // this process does not index: what it put back waits, pending, for the service's routes
                out.put("note", "done in this process (no service answered): records put back are pending until a service"
                        + " (batch-image run) on this library indexes them");
            }
            return out;
        }
    }

    @Override
    int exitCode(JsonNode a) {
        return switch (action) {
            case REPLAY -> a.path("replayed").asBoolean() ? OK : FAILED;
            case REPLAY_ALL -> a.path("still_open").asLong() + a.path("not_replayable").asLong() == 0 ? OK : FAILED;
            default -> OK;
        };
    }

    @Override
    String render(JsonNode a) {
        String rendered = switch (action) {
            case REPLAY, DISMISS -> String.format("#%d %s: %s%n", a.path("id").asLong(), a.path("stage").asText(), a.path("message").asText());
            case REPLAY_ALL -> renderReplayAll(a);
            default -> renderList(a);
        };
        return a.hasNonNull("note") && action != Action.DISMISS ? rendered + a.path("note").asText() + "\n" : rendered;
    }

    private static String renderReplayAll(JsonNode a) {
        var s = new StringBuilder();
        s.append(String.format("%,d open dead letters: %,d replayed, %,d still open, %,d cannot be replayed (dismiss them)%n",
                a.path("considered").asLong(), a.path("replayed").asLong(), a.path("still_open").asLong(), a.path("not_replayable").asLong()));
        for (JsonNode d : a.path("first_still_open")) {
            s.append(String.format("  still open #%d %s%s: %s%n", d.path("id").asLong(), d.path("stage").asText(),
                    d.path("field").isTextual() ? " field " + d.path("field").asText() : "", d.path("reason").asText()));
        }
        for (JsonNode d : a.path("first_not_replayable")) {
            s.append(String.format("  cannot replay #%d: %s%n", d.path("id").asLong(), d.path("reason").asText()));
        }
        return s.toString();
    }

    private static String renderList(JsonNode a) {
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
            if (d.path("resolution").isTextual()) {
                s.append("    ").append(d.path("state").asText()).append(": ").append(d.path("resolution").asText()).append('\n');
            }
        }
        s.append(String.format("%,d of %,d dead letters%n", a.path("dead_letters").size(), a.path("total").asLong()));
        return s.toString();
    }
}
