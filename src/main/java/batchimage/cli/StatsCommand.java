package batchimage.cli;

import batchimage.app.BatchImage;

import batchimage.config.Settings;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import picocli.CommandLine.Command;

/** {@code batch-image stats}: the library's figures and whether PostgreSQL and the index agree. Exit code 0 in sync, 3 not. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Shows records by status, theme and sub-theme, pending and failed per namespace, vectors per namespace, dead letters and the last imports, with a verdict: in sync or not, and why. Exit code 0 in sync, 3 not.")
final class StatsCommand extends AdminCommand {

    static final int NOT_IN_SYNC = 3;

    @Override
    String name() {
        return "stats";
    }

    @Override
    void check() {
        // no arguments to check
    }

    @Override
    JsonNode remote(ServiceCall service) throws IOException, InterruptedException {
        return service.send("/api/stats", null);
    }

    @Override
    JsonNode inProcess(Settings settings) {
        // the local index read-side: every write its writer acknowledged (committed, or in its write-ahead log after
        // a crash), and nothing written in its folder
        try (var app = BatchImage.create(settings, BatchImage.Mode.SEARCH).start()) {
            return json.valueToTree(app.libraryStats().stats());
        }
    }

    @Override
    int exitCode(JsonNode answer) {
        return answer.path("sync").path("in_sync").asBoolean() ? OK : NOT_IN_SYNC;
    }

    @Override
    String render(JsonNode a) {
        var s = new StringBuilder();
        s.append(a.path("sync").path("summary").asText()).append('\n');
        s.append("\nrecords:");
        a.path("records").fields().forEachRemaining(e -> s.append(String.format(" %s %,d", e.getKey(), e.getValue().asLong())));
        s.append("\n\nnamespace     vectors  with vector  pending  failed  deleted with vectors\n");
        a.path("namespaces").fields().forEachRemaining(e -> {
            JsonNode n = e.getValue();
            s.append(String.format("%-11s %9s  %11s  %7s  %6s  %21s%n", e.getKey(),
                    n.path("vectors").isNull() ? "?" : String.format("%,d", n.path("vectors").asLong()),
                    String.format("%,d", n.path("with_vector").asLong()), String.format("%,d", n.path("pending").asLong()),
                    String.format("%,d", n.path("failed").asLong()), String.format("%,d", n.path("to_remove").asLong())));
        });
        s.append('\n').append(lastSync(a.path("last_sync")));
        JsonNode full = a.path("full_reindex");
        if (full.isObject()) {
            s.append(String.format("full reindex with %s, started %s: %,d of %,d records re-embedded, %,d pending, %,d failed%s%n",
                    full.path("model").asText(), full.path("started_at").asText(), full.path("done").asLong(), full.path("queued").asLong(),
                    full.path("pending").asLong(), full.path("failed").asLong(),
                    full.path("finished_at").isNull() ? "" : ", finished " + full.path("finished_at").asText()));
        }
        JsonNode e = a.path("enrichment");
        if (!e.isMissingNode()) {
            s.append(String.format("%nenrichment: %,d missing tags, %,d missing a path, %,d enriched, %,d waiting, %,d given up%n",
                    e.path("missing_tags").asLong(), e.path("missing_paths").asLong(), e.path("enriched").asLong(),
                    e.path("waiting").asLong(), e.path("given_up").asLong()));
            for (JsonNode r : e.path("given_up_reasons")) {
                s.append(String.format("  given up: %,d  %s%n", r.path("records").asLong(), r.path("reason").asText()));
            }
        }
        s.append("\ntheme / sub-theme (active records)\n");
        for (JsonNode t : a.path("themes")) {
            String theme = t.path("theme").asText("(none)");
            s.append(String.format("  %-30s %,9d%n", theme, t.path("records").asLong()));
            for (JsonNode st : a.path("sub_themes")) {
                if (st.path("theme").asText("(none)").equals(theme)) {
                    s.append(String.format("    %-28s %,9d%n", st.path("sub_theme").asText("(none)"), st.path("records").asLong()));
                }
            }
        }
        s.append("\ndead letters:");
        if (a.path("dead_letters").isEmpty()) {
            s.append(" none");
        }
        for (JsonNode d : a.path("dead_letters")) {
            s.append(String.format(" %s %,d (%,d open, %,d resolved)", d.path("stage").asText(), d.path("total").asLong(), d.path("open").asLong(),
                    d.path("resolved").asLong()));
        }
        s.append("\n\nlast imports:\n");
        if (a.path("imports").isEmpty()) {
            s.append("  none\n");
        }
        for (JsonNode i : a.path("imports")) {
            s.append(String.format("  %s  %-40s %-8s %,d read, %,d inserted, %,d updated, %,d unchanged, %,d rejected%n",
                    i.path("started_at").asText(), i.path("file_name").asText(), i.path("outcome").asText(), i.path("read").asLong(),
                    i.path("inserted").asLong(), i.path("updated").asLong(), i.path("unchanged").asLong(), i.path("rejected").asLong()));
        }
        return s.toString();
    }

    /** The last sync in a few lines: when, how it ended, and what it found and did per namespace. */
    static String lastSync(JsonNode sync) {
        if (sync.isMissingNode() || sync.isNull()) {
            return "last sync: none yet\n";
        }
        String at = sync.path("started_at").asText("");
        var s = new StringBuilder(String.format("last sync: #%d%s (%s, %s) %s in %.1f s%n", sync.path("id").asLong(),
                at.isEmpty() ? "" : " " + at, sync.path("started_by").asText(), sync.path("mode").asText(),
                sync.path("outcome").asText(), sync.path("seconds").asDouble()));
        if (!sync.path("error").isNull() && !sync.path("error").asText().isEmpty()) {
            s.append("  error: ").append(sync.path("error").asText()).append('\n');
        }
        JsonNode d = sync.path("drift");
        d.fields().forEachRemaining(e -> {
            JsonNode n = e.getValue();
            if (n.has("listed")) {
                s.append(String.format("  %-11s %,d vectors listed, %,d orphans removed, %,d missing re-queued, %,d of inactive records removed%s%n",
                        e.getKey(), n.path("listed").asLong(), n.path("orphans_removed").asLong(), n.path("missing_requeued").asLong(),
                        n.path("inactive_removed").asLong(), n.path("too_recent").asLong() == 0 ? ""
                                : String.format("; %,d missing but indexed too recently to judge (sync.settle-seconds)", n.path("too_recent").asLong())));
            }
        });
        if (d.path("failed_requeued").asLong() > 0) {
            s.append(String.format("  %,d failed records re-queued%n", d.path("failed_requeued").asLong()));
        }
        if (!d.path("stale_namespaces_removed").isEmpty()) {
            var names = new java.util.ArrayList<String>();
            d.path("stale_namespaces_removed").forEach(n -> names.add(n.asText()));
            s.append("  namespaces of old generations emptied: ").append(String.join(", ", names)).append('\n');
        }
        return s.toString();
    }
}
