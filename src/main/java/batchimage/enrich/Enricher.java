package batchimage.enrich;

import batchimage.images.MediaFolders;
import batchimage.images.MediaIndex;
import batchimage.images.MediaLookup;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
import java.util.regex.Pattern;
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
    /** How long a claimed batch is this run's before another process may take it (it never takes this long). */
    private static final int LEASE_SECONDS = 600;
    private static final int MAX_DELAY_SECONDS = 3600;
    private static final Pattern COUNTER = Pattern.compile("_\\d{5,}_$");

    /** Records not examined since they last changed, and those whose retry is due (not yet at {@code runStart}). */
    private static final String CLAIM = """
            UPDATE image_library t SET enrich_next_at = now() + make_interval(secs => ?)
            WHERE t.id IN (
                SELECT id FROM image_library
                WHERE status = 'active' AND (enrich_state IS NULL OR enrich_state = 'waiting')
                  AND (enrich_next_at IS NULL OR enrich_next_at <= ?)
                ORDER BY enrich_next_at NULLS FIRST, id LIMIT ? FOR UPDATE SKIP LOCKED)
            RETURNING id, name, file_path, description, enrich_state, enrich_attempts
            """;

    /** Written only if tags and path are still what was read: an import in between wins. */
    private static final String STORE = """
            UPDATE image_library SET
                description = ?, file_path = ?, path_found = ?,
                enrich_state = ?, enrich_attempts = ?, enrich_error = ?, enrich_next_at = ?,
                enriched_at = CASE WHEN ? THEN now() ELSE enriched_at END,
                index_state = CASE WHEN ? THEN 'pending' ELSE index_state END,
                index_error = CASE WHEN ? THEN NULL ELSE index_error END,
                index_attempts = CASE WHEN ? THEN 0 ELSE index_attempts END,
                next_attempt_at = CASE WHEN ? THEN NULL ELSE next_attempt_at END,
                content_changed_at = CASE WHEN ? THEN now() ELSE content_changed_at END,
                updated_at = CASE WHEN ? THEN now() ELSE updated_at END
            WHERE id = ?::uuid AND description IS NOT DISTINCT FROM ? AND file_path IS NOT DISTINCT FROM ?
              AND enrich_state IS NOT DISTINCT FROM ?
            """;

    private static final String STATS = """
            SELECT count(*),
                   count(*) FILTER (WHERE coalesce(btrim(description), '') = ''),
                   count(*) FILTER (WHERE coalesce(btrim(file_path), '') = '' OR path_found = false),
                   count(*) FILTER (WHERE enriched_at IS NOT NULL),
                   count(*) FILTER (WHERE enrich_state = 'gave_up'),
                   count(*) FILTER (WHERE enrich_state = 'waiting'),
                   count(*) FILTER (WHERE enrich_state IS NULL)
            FROM image_library WHERE status = 'active'
            """;

    private static final String GIVEN_UP_REASONS = """
            SELECT enrich_error, count(*) FROM image_library
            WHERE status = 'active' AND enrich_state = 'gave_up'
            GROUP BY enrich_error ORDER BY count(*) DESC, enrich_error LIMIT 5
            """;

    /** With ComfyUI newly configured, records left without tags are examined again. */
    private static final String REOPEN_UNTAGGED = """
            UPDATE image_library SET enrich_state = NULL, enrich_attempts = 0, enrich_next_at = NULL, enrich_error = NULL
            WHERE status = 'active' AND enrich_state = 'done' AND coalesce(btrim(description), '') = ''
            """;

    /** The media folders changed: records waiting for an image are tried now. */
    private static final String WAKE_PATHLESS = """
            UPDATE image_library SET enrich_next_at = NULL
            WHERE status = 'active' AND enrich_state = 'waiting' AND path_found IS DISTINCT FROM true
            """;

    private static final String RETRY_GIVEN_UP = """
            UPDATE image_library SET enrich_state = NULL, enrich_attempts = 0, enrich_next_at = NULL, enrich_error = NULL
            WHERE status = 'active' AND enrich_state = 'gave_up'
            """;

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

    private final DataSource dataSource;
    private final MediaFolders media;
    private final ComfyClient comfy;
    private final Path comfyOutputDir;
    private final boolean fetchImages;
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
        this.dataSource = dataSource;
        this.media = media;
        this.comfy = comfy;
        this.comfyOutputDir = comfyOutputDir;
        this.fetchImages = fetchImages && comfy != null;
        this.retrySeconds = retrySeconds;
        this.maxAttempts = Math.max(1, maxAttempts);
        this.progressNanos = progressSeconds * 1_000_000_000L;
    }

    /** Starts a pass: reopens what a new source (ComfyUI, changed media folders) may now fill. */
    public Run start() throws SQLException {
        if (comfy != null && !reopened) {
            int n = update(REOPEN_UNTAGGED);
            reopened = true;
            if (n > 0) {
                LOG.info("enrich: {} records without tags are examined again now that ComfyUI ({}) is configured", n, comfy.url());
            }
        }
        if (media.byName() instanceof MediaIndex index) {
            index.files(); // refreshes the listing if a folder changed
            long builds = index.builds();
            if (mediaBuilds >= 0 && builds != mediaBuilds) {
                int n = update(WAKE_PATHLESS);
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
                        var claimed = claim(run, size);
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

    private List<Candidate> claim(Run run, int size) throws SQLException {
        var out = new ArrayList<Candidate>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setInt(1, LEASE_SECONDS);
            ps.setObject(2, run.started);
            ps.setInt(3, size);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Candidate(rs.getString("id"), rs.getString("name"), rs.getString("file_path"),
                            rs.getString("description"), rs.getString("enrich_state"), rs.getInt("enrich_attempts")));
                }
            }
        }
        return out;
    }

    /** Looks each record up: ComfyUI first (when set and something is missing), then the media folders. */
    public Batch lookUp(Batch batch) throws InterruptedException {
        var outcomes = new ArrayList<Outcome>(batch.size());
        Run run = batch.run;
        for (Candidate c : batch.candidates) {
            Lookup l = new Lookup(c);
            if (comfy != null && (l.needTags() || l.needPath())) {
                if (run.comfyDown != null) {
                    l.unreachable = run.comfyDown;
                } else {
                    try {
                        l.fromComfy(comfy.history(c.id()));
                    } catch (ComfyClient.Unreachable e) {
                        // one warning per pass and no more requests in it: ComfyUI down is not a storm of errors
                        run.comfyDown = e.getMessage();
                        l.unreachable = run.comfyDown;
                        LOG.warn("enrich: {}; ComfyUI is not asked again in this pass, its records are tried again later", run.comfyDown);
                    }
                }
            }
            l.fromMediaFolders();
            outcomes.add(l.outcome());
        }
        batch.outcomes = outcomes;
        return batch;
    }

    /** What is known of one record while it is looked up. */
    private final class Lookup {
        final Candidate c;
        String description;
        String filePath;
        boolean pathFound;
        String comfyProblem;
        /** ComfyUI could not be asked: not the record's fault, so it costs no attempt. */
        String unreachable;
        String mediaProblem;
        String failed;
        ComfyHistory.Image comfyImage;

        Lookup(Candidate c) {
            this.c = c;
            this.description = c.description();
            this.filePath = c.filePath();
            MediaLookup now = blank(c.filePath()) ? new MediaLookup.Missing("no file_path") : media.resolve(c.filePath());
            this.pathFound = now instanceof MediaLookup.Found;
            if (now instanceof MediaLookup.Missing m) {
                mediaProblem = m.why();
            } else if (now instanceof MediaLookup.Outside o) {
                mediaProblem = o.why();
            }
        }

        boolean needTags() {
            return blank(description);
        }

        boolean needPath() {
            return !pathFound;
        }

        void fromComfy(ComfyHistory h) {
            if (h instanceof ComfyHistory.Failed f) {
                failed = f.reason();
            } else if (h instanceof ComfyHistory.NotFinished) {
                comfyProblem = "ComfyUI has no history for the task yet (not finished, or unknown to it)";
            } else if (h instanceof ComfyHistory.Finished fin) {
                int i = imageOf(fin.images(), c.name());
                comfyImage = i < 0 ? null : fin.images().get(i);
                if (needTags()) {
                    String tags = fin.tagsOf(Math.max(i, 0));
                    if (blank(tags)) {
                        comfyProblem = "ComfyUI's history of the task has no tagger output (no 'tags' in its outputs)";
                    } else {
                        description = tags;
                    }
                }
                if (needPath() && comfyImage != null && comfyOutputDir != null) {
                    Path p = comfyPath(comfyImage);
                    if (media.resolve(p.toString()) instanceof MediaLookup.Found) {
                        filePath = p.toString();
                        pathFound = true;
                    }
                }
                if (needPath() && comfyImage != null) {
                    // ComfyUI's counters repeat across subfolders: <subfolder>/<filename> first, then the name alone
                    String sub = comfyImage.subfolder().isBlank() ? "" : comfyImage.subfolder().strip() + "/";
                    found(media.resolve(sub + comfyImage.filename()));
                }

                if (needPath() && comfyImage == null) {
                    comfyProblem = "ComfyUI's history of the task has no output image";
                }
            }
        }

        void fromMediaFolders() {
            if (needPath()) {
                found(media.image(c.name()));
            }
            if (needPath() && comfyImage != null && fetchImages) {
                fetch(comfyImage);
            }
            // ComfyUI says where the image is even when this machine cannot see it: better than no path
            if (needPath() && blank(filePath) && comfyImage != null && comfyOutputDir != null) {
                filePath = comfyPath(comfyImage).toString();
            }
        }

        /** The image from ComfyUI's /view into {@code <first media folder>/comfyui/<subfolder>/<filename>}. */
        private void fetch(ComfyHistory.Image image) {
            Path target = fetchTarget(image);
            if (target == null) {
                comfyProblem = "ComfyUI's image name is not a plain file name: " + image.subfolder() + "/" + image.filename();
                return;
            }
            try {
                comfy.view(image, target);
                found(media.resolve(target.toString()));
            } catch (ComfyClient.Unreachable e) {
                comfyProblem = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                comfyProblem = "interrupted while fetching " + image.filename();
            }
        }

        private void found(MediaLookup m) {
            if (m instanceof MediaLookup.Found f) {
                filePath = f.file().toString();
                pathFound = true;
                mediaProblem = null;
            } else if (m instanceof MediaLookup.Missing mi) {
                mediaProblem = mi.why();
            } else if (m instanceof MediaLookup.Outside o) {
                mediaProblem = o.why();
            }
        }

        Outcome outcome() {
            boolean missingTags = needTags();
            boolean missingPath = needPath();
            if (!missingTags && !missingPath) {
                return new Outcome(c, description, filePath, true, "done", 0, null, null);
            }
            var why = new ArrayList<String>();
            if (missingTags) {
                why.add("no tags: " + (failed != null ? failed : comfy == null ? "COMFYUI_URL is not set"
                        : unreachable != null ? unreachable : comfyProblem));
            }
            if (missingPath) {
                var path = new ArrayList<String>();
                if (mediaProblem != null) {
                    path.add(mediaProblem);
                }
                // said once: under the tags when it is why they are missing too
                if (comfyProblem != null && (!missingTags || failed != null)) {
                    path.add(comfyProblem);
                }
                if (unreachable != null && !missingTags) {
                    path.add(unreachable);
                }
                why.add("no image: " + (path.isEmpty() ? "not found" : String.join("; ", path)));
            }
            String reason = String.join("; ", why);
            if (failed != null) {
                return new Outcome(c, description, filePath, !missingPath, "gave_up", c.attempts() + 1, reason, null);
            }
            if (!missingPath && comfy == null) {
                // only tags are missing and nothing here can give them: done until ComfyUI is configured
                return new Outcome(c, description, filePath, true, "done", 0, reason, null);
            }
            if (unreachable != null) {
                long delay = Math.min(MAX_DELAY_SECONDS, Math.max(retrySeconds, 1) * (1L << Math.min(c.attempts(), 20)));
                return new Outcome(c, description, filePath, !missingPath, "waiting", c.attempts(), reason,
                        OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(delay));
            }
            int attempts = c.attempts() + 1;
            if (attempts >= maxAttempts) {
                return new Outcome(c, description, filePath, !missingPath, "gave_up", attempts,
                        reason + " (after " + attempts + " attempts)", null);
            }
            long delay = Math.min(MAX_DELAY_SECONDS, retrySeconds * (1L << Math.min(attempts - 1, 20)));
            return new Outcome(c, description, filePath, !missingPath, "waiting", attempts, reason,
                    OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(delay));
        }
    }

    /** Where a fetched image goes; null when ComfyUI's names are not plain names (they could climb out). */
    Path fetchTarget(ComfyHistory.Image image) {
        Path base = media.folders().get(0).resolve("comfyui");
        Path p = base;
        var parts = new ArrayList<String>(List.of(image.subfolder().split("[\\\\/]+")));
        parts.add(image.filename());
        for (String part : parts) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.equals(".") || part.equals("..") || part.indexOf('\0') >= 0 || part.contains(":")) {
                return null;
            }
            p = p.resolve(part);
        }
        return p.normalize().startsWith(base) && !p.equals(base) ? p : null;
    }

    private Path comfyPath(ComfyHistory.Image image) {
        Path p = comfyOutputDir;
        if (!blank(image.subfolder())) {
            p = p.resolve(image.subfolder());
        }
        return p.resolve(image.filename());
    }

    /** The image of the record named {@code name} among the outputs (by file name or ComfyUI's counter), else the first. */
    static int imageOf(List<ComfyHistory.Image> images, String name) {
        if (images.isEmpty()) {
            return -1;
        }
        if (name != null) {
            for (int i = 0; i < images.size(); i++) {
                String f = images.get(i).filename();
                int dot = f.lastIndexOf('.');
                String base = dot < 0 ? f : f.substring(0, dot);
                if (f.equals(name) || base.equals(name) || COUNTER.matcher(base).replaceFirst("").equals(name)) {
                    return i;
                }
            }
        }
        return 0;
    }

    /** Writes the outcomes; a changed row is pending for the index route again. */
    public Batch store(Batch batch) throws SQLException {
        Run run = batch.run;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(STORE)) {
            for (Outcome o : batch.outcomes) {
                boolean changed = o.changed();
                int i = 1;
                ps.setString(i++, o.description());
                ps.setString(i++, o.filePath());
                ps.setBoolean(i++, o.pathFound());
                ps.setString(i++, o.state());
                ps.setInt(i++, o.attempts());
                ps.setString(i++, o.error());
                ps.setObject(i++, o.nextAt());
                for (int k = 0; k < 7; k++) {
                    ps.setBoolean(i++, changed);
                }
                ps.setString(i++, o.was().id());
                ps.setString(i++, o.was().description());
                ps.setString(i++, o.was().filePath());
                ps.setString(i++, o.was().state());
                ps.addBatch();
            }
            int[] written = ps.executeBatch();
            for (int k = 0; k < written.length; k++) {
                Outcome o = batch.outcomes.get(k);
                if (written[k] == 0) {
                    // re-imported meanwhile: the import's content stands and is examined again
                    run.lostToImport.incrementAndGet();
                    continue;
                }
                run.examined.incrementAndGet();
                if (o.tagsFilled()) {
                    run.tagsFilled.incrementAndGet();
                }
                if (o.pathChanged()) {
                    run.pathsFilled.incrementAndGet();
                }
                switch (o.state()) {
                    case "done" -> run.done.incrementAndGet();
                    case "waiting" -> run.waiting.incrementAndGet();
                    default -> run.gaveUp.incrementAndGet();
                }
            }
        }
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
        var m = new LinkedHashMap<String, Object>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(STATS);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            m.put("records", rs.getLong(1));
            m.put("missing_tags", rs.getLong(2));
            m.put("missing_paths", rs.getLong(3));
            m.put("enriched", rs.getLong(4));
            m.put("given_up", rs.getLong(5));
            m.put("waiting", rs.getLong(6));
            m.put("not_examined", rs.getLong(7));
        }
        var reasons = new ArrayList<Map<String, Object>>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(GIVEN_UP_REASONS);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                reasons.add(Map.of("reason", String.valueOf(rs.getString(1)), "records", rs.getLong(2)));
            }
        }
        m.put("given_up_reasons", reasons);
        m.put("comfyui", comfy == null ? "" : comfy.url());
        m.put("media_dirs", media.folders().stream().map(Path::toString).toList());
        return m;
    }

    /** Records given up are examined again on the next pass. */
    public int retryGivenUp() throws SQLException {
        int n = update(RETRY_GIVEN_UP);
        if (n > 0) {
            LOG.info("enrich: {} records given up are examined again", n);
        }
        return n;
    }

    private int update(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            return ps.executeUpdate();
        }
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
