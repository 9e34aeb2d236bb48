package batchimage.cli;

import batchimage.app.BatchImage;

import batchimage.config.Settings;
import batchimage.sync.SyncCall;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batch-image reindex [--full] [--wait]}: a sync now, through the service (which then indexes what it
 * re-queued) or, when none answers, in this process, which indexes what it re-queued itself and shows progress.
 */
@Command(name = "reindex", mixinStandardHelpOptions = true,
        description = "Syncs the vector index with PostgreSQL now: records that failed are tried again, vectors of no active record are removed,"
                + " records missing their vectors are queued again. --full embeds every record again (after a change of embedding model)."
                + " Exit code 0 done, 3 when records could not be indexed.")
final class ReindexCommand extends AdminCommand {

    static final int NOT_ALL_INDEXED = 3;

    @Option(names = "--full", description = "embed every active record again, into a new generation of the namespaces; search answers from the present one until it is complete")
    boolean full;

    @Option(names = "--wait", description = "through the service: wait until what was queued is indexed, showing progress (in this process it always waits)")
    boolean await;

    private String mode;

    @Override
    String name() {
        return "reindex";
    }

    @Override
    void check() {
        mode = SyncCall.mode(full ? "full" : "changed");
    }

    @Override
    JsonNode remote(ServiceCall service) throws IOException, InterruptedException {
        var body = json.createObjectNode();
        body.put("mode", mode);
        ObjectNode answer = (ObjectNode) service.send("/api/reindex", body);
        if (await) {
            PrintWriter err = spec.commandLine().getErr();
            answer.set("indexed", follow(() -> {
                try {
                    return service.send("/api/stats", null).path("indexing");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted");
                }
            }, err));
        }
        return answer;
    }

    @Override
    JsonNode inProcess(Settings settings) throws IOException {
        // this process indexes what the sync queues (the import mode's local endpoints, on a port of its own)
        try (var app = BatchImage.create(settings, BatchImage.Mode.IMPORT)) {
            if (!app.indexes()) {
                throw new IllegalStateException("a batch-image service runs on the data folder " + settings.dataDir()
                        + " but did not answer: give its address with --url (it owns the index and indexes what a sync queues)");
            }
            app.start();
            ObjectNode answer = json.valueToTree(SyncCall.run(app.context(), "command", mode));
            PrintWriter err = spec.commandLine().getErr();
            answer.set("indexed", follow(() -> json.valueToTree(app.libraryStats().stats()).path("indexing"), err));
            return answer;
        }
    }

    /** Waits until no active record is pending, showing records done, rate and time left; answers the last figures. */
    private JsonNode follow(Supplier<JsonNode> indexing, PrintWriter err) {
        long start = System.nanoTime();
        long lastShown = 0;
        JsonNode first = indexing.get();
        JsonNode now = first;
        while (now.path("pending").asLong() > 0 && now.path("blocked").isNull()) {
            long t = System.nanoTime();
            if (t - lastShown > 2_000_000_000L) {
                lastShown = t;
                long done = now.path("indexed").asLong() - first.path("indexed").asLong();
                double rate = done / Math.max((t - start) / 1e9, 1e-3);
                long pending = now.path("pending").asLong();
                err.printf("indexing: %,d records indexed, %,d pending, %,d failed, %,.0f records/s%s%n", now.path("indexed").asLong(), pending,
                        now.path("failed").asLong(), rate, rate > 0 ? String.format(", about %.0f s left", pending / rate) : "");
                err.flush();
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the records to be indexed");
            }
            now = indexing.get();
        }
        return now;
    }

    @Override
    int exitCode(JsonNode a) {
        JsonNode indexed = a.path("indexed");
        return indexed.isMissingNode() || indexed.path("failed").asLong() == 0 && indexed.path("blocked").isNull() ? OK : NOT_ALL_INDEXED;
    }

    @Override
    String render(JsonNode a) {
        var s = new StringBuilder(StatsCommand.lastSync(a).replaceFirst("^last sync: ", "sync "));
        JsonNode full = a.path("drift").path("full");
        if (full.isObject()) {
            s.append(String.format("full reindex: %,d active records queued to be embedded again with %s (%d dimensions)%s%n",
                    full.path("queued").asLong(), full.path("model").asText(), full.path("dimensions").asInt(),
                    full.path("rebuilt_local_index").asBoolean() ? "; the local index was emptied to be rebuilt for this model"
                            : String.format(" into generation %d of the namespaces; search answers from the present one until every record is there",
                                    full.path("generation").asInt())));
        }
        JsonNode indexed = a.path("indexed");
        if (indexed.isMissingNode()) {
            s.append("the service indexes what was queued: follow it with batch-image stats (or reindex --wait)\n");
        } else {
            s.append(String.format("index: %,d active records indexed, %,d failed%n", indexed.path("indexed").asLong(), indexed.path("failed").asLong()));
            if (!indexed.path("blocked").isNull()) {
                s.append("  not indexed: ").append(indexed.path("blocked").asText()).append('\n');
            }
        }
        return s.toString();
    }
}
