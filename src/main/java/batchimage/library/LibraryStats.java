package batchimage.library;

import batchimage.index.FullReindex;

import batchimage.index.ModelRecord;
import batchimage.vectors.PineconeClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Where the library stands ({@code GET /api/stats}, {@code batch-image stats}): records by status, theme
 * and sub-theme; per namespace the active records with a vector there (their fingerprint is set), those
 * pending and failed, those being indexed now, and the vectors the index holds (see {@link IndexFigures});
 * records marked deleted whose vectors are not removed yet; dead letters by stage; the last imports; and a
 * verdict: in sync or not, and why. Vectors a batch being indexed has written before marking its records are
 * not drift; vectors of no active record, or missing for an indexed one, are, while indexing runs too.
 */
public final class LibraryStats {

    /** How many imports are shown. */
    static final int LAST_IMPORTS = 10;
    /** How many syncs are shown. */
    static final int LAST_SYNCS = 5;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final DataSource dataSource;
    private final PineconeClient index;
    /** The enrich route's figures (missing tags and paths, enriched, given up), or null. */
    private final batchimage.enrich.Enricher enricher;

    public LibraryStats(DataSource dataSource, PineconeClient index) {
        this(dataSource, index, null);
    }

    public LibraryStats(DataSource dataSource, PineconeClient index, batchimage.enrich.Enricher enricher) {
        this(dataSource, index, enricher, null, 0);
    }

    /** The model this process embeds with (name and size), or null: compared with the one the vectors were made with. */
    private final String model;
    private final int dimensions;

    public LibraryStats(DataSource dataSource, PineconeClient index, batchimage.enrich.Enricher enricher, String model, int dimensions) {
        this(dataSource, index, enricher, model, dimensions, null);
    }

    /** How far this process's imports are (records done, rate, time left), or null. */
    private final batchimage.ingest.ImportProgress importProgress;

    public LibraryStats(DataSource dataSource, PineconeClient index, batchimage.enrich.Enricher enricher, String model, int dimensions,
                        batchimage.ingest.ImportProgress importProgress) {
        this(dataSource, index, enricher, model, dimensions, importProgress, null);
    }

    /** This process's lexical index and its feed, or null. */
    private final batchimage.lexical.LexicalFeed lexical;

    public LibraryStats(DataSource dataSource, PineconeClient index, batchimage.enrich.Enricher enricher, String model, int dimensions,
                        batchimage.ingest.ImportProgress importProgress, batchimage.lexical.LexicalFeed lexical) {
        this.lexical = lexical;
        this.dataSource = dataSource;
        this.index = index;
        this.enricher = enricher;
        this.model = model;
        this.dimensions = dimensions;
        this.importProgress = importProgress;
    }

    /** The window over which the indexing rate is measured. */
    static final int RATE_SECONDS = 60;

    public Map<String, Object> stats() {
        var out = new LinkedHashMap<String, Object>();
        ModelRecord.Model recorded;
        try (Connection c = dataSource.getConnection()) {
            var byStatus = new LinkedHashMap<String, Object>();
            for (var row : rows(c, "SELECT status, count(*) AS n FROM image_library GROUP BY status ORDER BY status")) {
                byStatus.put((String) row.get("status"), row.get("n"));
            }
            byStatus.putIfAbsent("active", 0L);
            out.put("records", byStatus);
            out.put("themes", rows(c, """
                    SELECT theme, count(*) AS records FROM image_library WHERE status = 'active'
                    GROUP BY theme ORDER BY count(*) DESC, theme"""));
            out.put("sub_themes", rows(c, """
                    SELECT theme, sub_theme, count(*) AS records FROM image_library WHERE status = 'active'
                    GROUP BY theme, sub_theme ORDER BY theme, count(*) DESC, sub_theme"""));
            // read below with the index's figures (IndexFigures)
            out.put("namespaces", null);
            var indexing = rows(c, """
                    SELECT count(*) FILTER (WHERE index_state IN ('pending', 'indexing')) AS pending,
                           count(*) FILTER (WHERE index_state = 'failed') AS failed,
                           count(*) FILTER (WHERE index_state = 'indexed') AS indexed,
                           count(*) FILTER (WHERE index_state = 'indexed' AND indexed_at >= now() - make_interval(secs => %1$d)) AS recent,
                           extract(epoch FROM now() - min(indexed_at) FILTER (WHERE index_state = 'indexed'
                               AND indexed_at >= now() - make_interval(secs => %1$d))) AS span
                    FROM image_library WHERE status = 'active'""".formatted(RATE_SECONDS)).get(0);
            IndexingRate.put(indexing, RATE_SECONDS);
            out.put("indexing", indexing);
            out.put("dead_letters", rows(c, """
                    SELECT stage, count(*) AS total, count(*) FILTER (WHERE state = 'open') AS open,
                           count(*) FILTER (WHERE state = 'resolved') AS resolved, max(created_at)::text AS last
                    FROM dead_letter GROUP BY stage ORDER BY stage"""));
            out.put("imports", rows(c, """
                    SELECT file_name, outcome, started_at::text AS started_at, seconds, records_read AS read, inserted, updated,
                           unchanged, rejected, superseded, error
                    FROM import_run ORDER BY id DESC LIMIT %d""".formatted(LAST_IMPORTS)));
            out.put("importing", batchimage.ingest.RunningImports.read(c, importProgress));
            if (enricher != null) {
                out.put("enrichment", enricher.stats());
            }
            // the last runs that did something (skipped ticks left out), newest first
            var syncs = rows(c, """
                    SELECT id, started_by, mode, instance, started_at::text AS started_at, seconds, outcome, drift::text AS drift, error
                    FROM sync_run WHERE outcome <> 'skipped' ORDER BY id DESC LIMIT %d""".formatted(LAST_SYNCS));
            for (var run : syncs) {
                run.put("drift", run.get("drift") == null ? null : JSON.readValue((String) run.get("drift"), Map.class));
            }
            out.put("last_sync", syncs.isEmpty() ? null : syncs.get(0));
            out.put("syncs", syncs);
            recorded = ModelRecord.read(c);
            var m = new LinkedHashMap<String, Object>();
            m.put("vectors_made_with", recorded == null ? null : recorded.model());
            m.put("vectors_dimensions", recorded == null ? null : recorded.dimensions());
            m.put("generation", recorded == null ? 0 : recorded.generation());
            m.put("building", recorded == null || recorded.building() == null ? null
                    : Map.of("generation", recorded.building(), "model", recorded.buildingModel(), "dimensions", recorded.buildingDimensions()));
            m.put("this_process", model);
            m.put("notice", model == null ? null : ModelRecord.sameSizeNotice(recorded, model, dimensions));
            out.put("model", m);
            out.put("full_reindex", FullReindex.progress(c, recorded));
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot read the library's figures from PostgreSQL: " + e.getMessage(), e);
        }
        // the vectors of the generation the fingerprints describe: the one being built, else the live one
        int generation = recorded == null ? 0 : recorded.building() != null ? recorded.building() : recorded.generation();
        IndexFigures.Result figures;
        try {
            figures = new IndexFigures(dataSource, index).read(generation);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the library's figures from PostgreSQL: " + e.getMessage(), e);
        }
        String indexProblem = figures.indexProblem();
        PineconeClient.Stats stats = figures.stats();
        var namespaces = figures.namespaces();
        out.put("namespaces", namespaces);
        out.put("index", stats == null ? Map.of("error", indexProblem) : Map.of("dimension", stats.dimension(), "namespaces", stats.namespaces()));
        // nothing is indexed while the index's vector size is not the model's: say so where progress is followed
        String blocked = stats != null && stats.dimension() > 0 && dimensions > 0 && stats.dimension() != dimensions
                ? "the index has " + stats.dimension() + " dimensions but the model " + model + " gives " + dimensions
                        + ": nothing is indexed until they agree (see the service's log, or run a full reindex for the app's own index)"
                : null;
        @SuppressWarnings("unchecked")
        var indexing = (Map<String, Object>) out.get("indexing");
        indexing.put("blocked", blocked);
        var reasons = reasons(namespaces, indexProblem);
        if (blocked != null) {
            reasons.add(0, blocked);
        }
        // this process's lexical index, brought in step first: it holds the records with words, or says why not
        if (lexical != null) {
            Map<String, Object> words = lexical.figures();
            out.put("lexical", words);
            long held = (Long) words.get("records");
            long want = (Long) words.get("library");
            if ((Boolean) words.get("this_process_writes") && held != want) {
                reasons.add(String.format("lexical: the index of words holds %,d records, the library has %,d with words (a sync repairs it)", held, want));
            }
        }
        @SuppressWarnings("unchecked")
        var modelState = (Map<String, Object>) out.get("model");
        if (modelState.get("notice") != null) {
            reasons.add("model changed: " + modelState.get("notice"));
        }
        @SuppressWarnings("unchecked")
        var lastSync = (Map<String, Object>) out.get("last_sync");
        if (lastSync != null && "failed".equals(lastSync.get("outcome"))) {
            reasons.add("the last sync (#" + lastSync.get("id") + ", " + lastSync.get("started_at") + ") failed: " + lastSync.get("error"));
        }
        var verdict = new LinkedHashMap<String, Object>();
        verdict.put("in_sync", reasons.isEmpty());
        verdict.put("reasons", reasons);
        verdict.put("summary", reasons.isEmpty() ? "in sync: every active record has its vectors, nothing pending or failed"
                : "NOT in sync: " + String.join("; ", reasons));
        var answer = new LinkedHashMap<String, Object>();
        answer.put("sync", verdict);
        answer.putAll(out);
        answer.put("as_of", java.time.OffsetDateTime.now().toString());
        return answer;
    }

    /** Why the index and PostgreSQL disagree, or what is still to do; empty when in sync. */
    private static List<String> reasons(Map<String, Map<String, Object>> namespaces, String indexProblem) {
        var out = new ArrayList<String>();
        if (indexProblem != null) {
            out.add(indexProblem);
        }
        for (var e : namespaces.entrySet()) {
            String ns = e.getKey();
            var n = e.getValue();
            String drift = n.get("vectors") instanceof Long vectors ? drift(ns, vectors, n) : null;
            if (drift != null) {
                out.add(drift);
            }
            @SuppressWarnings("unchecked")
            long inFlight = (Long) ((Map<String, Object>) n.get("in_flight")).get("records");
            if ((Long) n.get("pending") > 0) {
                out.add(String.format("%s: %,d records pending", ns, (Long) n.get("pending"))
                        + (inFlight > 0 ? String.format(", %,d being indexed now", inFlight) : ""));
            }
            if ((Long) n.get("failed") > 0) {
                out.add(String.format("%s: %,d records failed", ns, (Long) n.get("failed")));
            }
            if ((Long) n.get("to_remove") > 0) {
                out.add(String.format("%s: %,d deleted records still have vectors", ns, (Long) n.get("to_remove")));
            }
        }
        return out;
    }

    /**
     * How the vectors of a namespace differ from the records that should have one there, or null when they agree:
     * one vector per active record with a vector there that is not being indexed, plus those of the records being
     * indexed that the index has (when that is not known, any number of them from none to all).
     */
    private static String drift(String ns, long vectors, Map<String, Object> n) {
        long with = (Long) n.get("with_vector");
        @SuppressWarnings("unchecked")
        var inFlight = (Map<String, Object>) n.get("in_flight");
        long records = (Long) inFlight.get("records");
        if (records == 0) {
            return vectors == with ? null : String.format("%s: %,d vectors in the index for %,d active records with a vector there (%s)",
                    ns, vectors, with, difference(vectors, with));
        }
        long settled = with - (Long) inFlight.get("with_vector");
        if (inFlight.get("vectors") instanceof Long written) {
            long expected = settled + written;
            return vectors == expected ? null : String.format(
                    "%s: %,d vectors in the index for %,d active records with a vector there and %,d written of the %,d records being indexed (%s)",
                    ns, vectors, settled, written, records, difference(vectors, expected));
        }
        if (vectors >= settled && vectors <= settled + records) {
            return null;
        }
        return String.format("%s: %,d vectors in the index for %,d active records with a vector there and up to %,d records being indexed (%s)",
                ns, vectors, settled, records, difference(vectors, vectors < settled ? settled : settled + records));
    }

    private static String difference(long vectors, long expected) {
        return vectors > expected ? (vectors - expected) + " too many" : (expected - vectors) + " missing";
    }

    static List<Map<String, Object>> rows(Connection c, String sql) throws SQLException {
        var out = new ArrayList<Map<String, Object>>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                var row = new LinkedHashMap<String, Object>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getObject(i));
                }
                out.add(row);
            }
        }
        return out;
    }
}
