package batchimage.enrich;

import batchimage.images.MediaFolders;
import batchimage.images.MediaIndex;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the enrich route: claim active records that may miss tags or a usable file path, look them up
 * (ComfyUI's history when {@code comfyui.url} is set, then the media folders by file name), and store what was
 * found. A row whose tags or path change is made pending for the index route, as an import does, so the
 * vectors follow. What cannot be found yet is tried again with growing delays, then given up with its reason.
 */
public final class Enricher {

    private static final Logger LOG = LoggerFactory.getLogger(Enricher.class);

    /** A record as claimed. */
    public record Candidate(String id, String name, String filePath, String description, String state, int attempts) {
    }

    /** What a record gets: its tags and path (changed or not), where it stands, and why when something is missing. */
    public record Outcome(Candidate was, String description, String filePath, boolean pathFound, String state,
                          int attempts, String error, OffsetDateTime nextAt) {
        boolean tagsFilled() {
            return !blank(description) && blank(was.description);
        }

        boolean pathChanged() {
            return !java.util.Objects.equals(filePath, was.filePath);
        }

        boolean changed() {
            return !java.util.Objects.equals(description, was.description) || pathChanged();
        }
    }

    /** A claimed batch, then its outcomes; it carries its run for the counts. */
    public static final class Batch {
        final Run run;
        final List<Candidate> candidates;
        List<Outcome> outcomes = List.of();

        Batch(Run run, List<Candidate> candidates) {
            this.run = run;
            this.candidates = candidates;
        }

        public int size() {
            return candidates.size();
        }

        public List<Outcome> outcomes() {
            return outcomes;
        }

        /** What a dead letter of the batch records: the records it held. */
        @Override
        public String toString() {
            return "enrich batch of records " + candidates.stream().map(Candidate::id).toList();
        }
    }

    /** One pass of the route: when it started and what it did, for the progress lines and the answer. */
    public static final class Run {
        final long startNanos = System.nanoTime();
        final OffsetDateTime started = OffsetDateTime.now(ZoneOffset.UTC);
        final AtomicLong examined = new AtomicLong();
        final AtomicLong tagsFilled = new AtomicLong();
        final AtomicLong pathsFilled = new AtomicLong();
        final AtomicLong waiting = new AtomicLong();
        final AtomicLong gaveUp = new AtomicLong();
        final AtomicLong done = new AtomicLong();
        final AtomicLong lostToImport = new AtomicLong();
        volatile long lastProgress = System.nanoTime();
        /** Why ComfyUI could not be asked, once it could not: the rest of the pass does not ask it again. */
        volatile String comfyDown;

        Map<String, Object> summary() {
            var m = new LinkedHashMap<String, Object>();
            m.put("examined", examined.get());
            m.put("tags_filled", tagsFilled.get());
            m.put("paths_filled", pathsFilled.get());
            m.put("complete", done.get());
            m.put("waiting", waiting.get());
            m.put("given_up", gaveUp.get());
            m.put("seconds", Math.round((System.nanoTime() - startNanos) / 1e7) / 100.0);
            return m;
        }
    }

    private final EnrichRecords records;
    private final MediaFolders media;
    /** Null when {@code comfyui.url} is not set. */
    private final ComfyLookup comfy;
    private final int retrySeconds;
    private final int maxAttempts;
    private final long progressNanos;
    private volatile boolean reopened;
    private volatile long mediaBuilds = -1;

    /**
     * @param comfy          ComfyUI's client, or null when {@code comfyui.url} is not set
     * @param comfyOutputDir ComfyUI's output folder as seen from here, or null
     * @param fetchImages    images found nowhere here are fetched through ComfyUI's /view into the first media folder
     */
    public Enricher(DataSource dataSource, MediaFolders media, ComfyClient comfy, Path comfyOutputDir, boolean fetchImages,
                    int retrySeconds, int maxAttempts, int progressSeconds) {
        this.records = new EnrichRecords(dataSource);
        this.media = media;
        this.comfy = comfy == null ? null : new ComfyLookup(comfy, media, comfyOutputDir, fetchImages);
        this.retrySeconds = retrySeconds;
        this.maxAttempts = Math.max(1, maxAttempts);
        this.progressNanos = progressSeconds * 1_000_000_000L;
    }

    /** Starts a pass: reopens what a new source (ComfyUI, changed media folders) may now fill. */
    public Run start() throws SQLException {
        if (comfy != null && !reopened) {
            int n = records.reopenUntagged();
            reopened = true;
            if (n > 0) {
                LOG.info("enrich: {} records without tags are examined again now that ComfyUI ({}) is configured", n, comfy.client().url());
            }
        }
        if (media.byName() instanceof MediaIndex index) {
            index.files(); // refreshes the listing if a folder changed
            long builds = index.builds();
            if (mediaBuilds >= 0 && builds != mediaBuilds) {
                int n = records.wakePathless();
                if (n > 0) {
                    LOG.info("enrich: the media folders changed; {} records waiting for an image are looked up again", n);
                }
            }
            mediaBuilds = builds;
        }
        return new Run();
    }

    /** Batches of records to examine, each claimed when the route asks for it; ends when none is due. */
    public Iterator<Batch> dueBatches(Run run, int size) {
        return new Iterator<>() {
            private Batch next;
            private boolean end;

            @Override
            public boolean hasNext() {
                if (next == null && !end) {
                    try {
                        var claimed = records.claim(run, size);
                        next = claimed.isEmpty() ? null : new Batch(run, claimed);
                    } catch (SQLException e) {
                        throw new IllegalStateException("cannot claim records to enrich: " + e.getMessage(), e);
                    }
                    end = next == null;
                }
                return next != null;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Batch b = next;
                next = null;
                return b;
            }
        };
    }

    /** Looks each record up: ComfyUI first (when set and something is missing), then the media folders. */
    public Batch lookUp(Batch batch) throws InterruptedException {
        var outcomes = new ArrayList<Outcome>(batch.size());
        Run run = batch.run;
        for (Candidate c : batch.candidates) {
            var l = new RecordLookup(c, media);
            if (comfy != null && (l.needTags() || l.needPath())) {
                if (run.comfyDown != null) {
                    l.unreachable = run.comfyDown;
                } else {
                    try {
                        comfy.fromHistory(l, comfy.client().history(c.id()));
                    } catch (ComfyClient.Unreachable e) {
                        // one warning per pass and no more requests in it: ComfyUI down is not a storm of errors
                        run.comfyDown = e.getMessage();
                        l.unreachable = run.comfyDown;
                        LOG.warn("enrich: {}; ComfyUI is not asked again in this pass, its records are tried again later", run.comfyDown);
                    }
                }
            }
            l.fromMediaFolders(comfy);
            outcomes.add(l.outcome(comfy != null, retrySeconds, maxAttempts));
        }
        batch.outcomes = outcomes;
        return batch;
    }

    /** Writes the outcomes; a changed row is pending for the index route again. */
    public Batch store(Batch batch) throws SQLException {
        Run run = batch.run;
        records.store(batch);
        long now = System.nanoTime();
        if (now - run.lastProgress >= progressNanos) {
            run.lastProgress = now;
            double secs = (now - run.startNanos) / 1e9;
            LOG.info("enrich: {} records examined ({} records/s): {} tags and {} paths filled, {} waiting, {} given up",
                    run.examined.get(), Math.round(run.examined.get() / Math.max(secs, 1e-3)), run.tagsFilled.get(),
                    run.pathsFilled.get(), run.waiting.get(), run.gaveUp.get());
        }
        return batch;
    }

    /** Ends a pass: one line in the log when it did something; its counts and the library's, for the caller. */
    public Map<String, Object> finish(Run run) throws SQLException {
        var summary = run.summary();
        if (run.examined.get() > 0) {
            LOG.info("enrich: done, {} records examined in {} s: {} tags and {} paths filled, {} complete, {} waiting, {} given up",
                    run.examined.get(), summary.get("seconds"), run.tagsFilled.get(), run.pathsFilled.get(), run.done.get(),
                    run.waiting.get(), run.gaveUp.get());
        }
        var out = new LinkedHashMap<String, Object>();
        out.put("run", summary);
        out.put("library", stats());
        return out;
    }

    /** Where the active records stand: missing tags, missing paths, enriched, given up (with the main reasons). */
    public Map<String, Object> stats() throws SQLException {
        var m = records.figures();
        m.put("comfyui", comfy == null ? "" : comfy.client().url());
        m.put("media_dirs", media.folders().stream().map(Path::toString).toList());
        return m;
    }

    /** Records given up are examined again on the next pass. */
    public int retryGivenUp() throws SQLException {
        int n = records.retryGivenUp();
        if (n > 0) {
            LOG.info("enrich: {} records given up are examined again", n);
        }
        return n;
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
