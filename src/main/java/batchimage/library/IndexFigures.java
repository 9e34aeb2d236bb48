package batchimage.library;

import batchimage.index.IndexBatch;
import batchimage.index.Namespaces;
import batchimage.vectors.PineconeClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;

/**
 * The per-namespace figures of {@link LibraryStats}, PostgreSQL's and the index's, read so that indexing under
 * way does not read as drift. A batch being indexed writes its vectors a moment before it marks its records
 * indexed: for that moment the index holds vectors of records whose fingerprint is not set yet. So the records
 * claimed now (index_state 'indexing') are counted apart ({@code in_flight}), and the index is asked which of
 * them have a vector there: the index should then hold exactly one vector per active record with a vector
 * there that is not being indexed, plus those of the records being indexed that it has.
 *
 * <p>The two sides are read as PostgreSQL, the records being indexed in the index, the vector counts, the
 * records being indexed again and PostgreSQL again; when either changed meanwhile (a batch moved on), all is
 * read again. When it keeps moving, or too many records are being indexed to ask after each, which of them
 * have a vector is not known ({@code in_flight.vectors} null) and only a count no state of theirs explains is drift.
 */
final class IndexFigures {

    /** Reads of both sides before the figures are given as they are. */
    static final int ATTEMPTS = 5;
    /** At most this many records being indexed are looked up in the index (100 ids a request). */
    static final int IN_FLIGHT_LOOKUP = 1000;

    /** Per namespace its figures; the index's counts and dimension (null, and a problem, when it does not answer). */
    record Result(Map<String, Map<String, Object>> namespaces, PineconeClient.Stats stats, String indexProblem) {
    }

    /** What PostgreSQL says: per namespace its counts, and the ids being indexed (null when there are too many to look up). */
    private record Library(Map<String, Map<String, Object>> namespaces, List<String> inFlight) {
    }

    private final DataSource dataSource;
    private final PineconeClient index;

    IndexFigures(DataSource dataSource, PineconeClient index) {
        this.dataSource = dataSource;
        this.index = index;
    }

    /** {@code generation}: that of the namespaces the fingerprints describe (the one being built, else the live one). */
    Result read(int generation) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            Library before = library(c);
            for (int attempt = 1; ; attempt++) {
                Map<String, Set<String>> written;
                PineconeClient.Stats stats;
                Map<String, Set<String>> writtenAfter;
                try {
                    written = written(before.inFlight(), generation);
                    stats = index.stats();
                    writtenAfter = written(before.inFlight(), generation);
                } catch (RuntimeException e) {
                    return result(before, null, null, generation,
                            "the vector index at " + index.base() + " does not answer: " + e.getMessage());
                }
                Library after = library(c);
                boolean still = after.equals(before) && written.equals(writtenAfter);
                if (still || attempt == ATTEMPTS) {
                    return result(before, stats, still ? written : null, generation, null);
                }
                before = after;
            }
        }
    }

    private static Result result(Library lib, PineconeClient.Stats stats, Map<String, Set<String>> written, int generation, String problem) {
        var namespaces = new LinkedHashMap<String, Map<String, Object>>();
        for (var e : lib.namespaces().entrySet()) {
            String ns = e.getKey();
            var figures = new LinkedHashMap<String, Object>(e.getValue());
            long records = (Long) figures.remove("in_flight");
            long withVector = (Long) figures.remove("in_flight_with_vector");
            var inFlight = new LinkedHashMap<String, Object>();
            inFlight.put("records", records);
            inFlight.put("with_vector", withVector);
            inFlight.put("vectors", written == null || lib.inFlight() == null ? null : (long) written.get(ns).size());
            figures.put("in_flight", inFlight);
            String physical = Namespaces.name(ns, generation);
            figures.put("index_namespace", physical);
            figures.put("vectors", stats == null ? null : stats.namespaces().getOrDefault(physical, 0L));
            namespaces.put(ns, figures);
        }
        return new Result(namespaces, stats, problem);
    }

    /** Per namespace, which of the records being indexed have a vector in the index now (none asked when null). */
    private Map<String, Set<String>> written(List<String> inFlight, int generation) {
        var out = new LinkedHashMap<String, Set<String>>();
        for (String ns : IndexBatch.NAMESPACES) {
            out.put(ns, inFlight == null || inFlight.isEmpty() ? Set.of()
                    : new TreeSet<>(index.fetch(Namespaces.name(ns, generation), inFlight).keySet()));
        }
        return out;
    }

    private static Library library(Connection c) throws SQLException {
        var namespaces = new LinkedHashMap<String, Map<String, Object>>();
        for (String ns : IndexBatch.NAMESPACES) {
            // a namespace is concerned by a failure when the error names it, or names none (the whole batch failed)
            String concerned = "(index_error IS NULL OR index_error LIKE '" + ns + ": %' OR index_error LIKE '%; " + ns + ": %')";
            namespaces.put(ns, LibraryStats.rows(c, """
                    SELECT count(*) FILTER (WHERE status = 'active' AND %1$s_fp IS NOT NULL) AS with_vector,
                           count(*) FILTER (WHERE status = 'active' AND index_state IN ('pending', 'indexing') AND %2$s) AS pending,
                           count(*) FILTER (WHERE status = 'active' AND index_state = 'failed' AND %2$s) AS failed,
                           count(*) FILTER (WHERE status <> 'active' AND %1$s_fp IS NOT NULL) AS to_remove,
                           count(*) FILTER (WHERE status = 'active' AND index_state = 'indexing') AS in_flight,
                           count(*) FILTER (WHERE status = 'active' AND index_state = 'indexing' AND %1$s_fp IS NOT NULL) AS in_flight_with_vector
                    FROM image_library""".formatted(ns, concerned)).get(0));
        }
        var ids = new ArrayList<String>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT id::text FROM image_library WHERE status = 'active' AND index_state = 'indexing' ORDER BY id LIMIT ?""")) {
            ps.setInt(1, IN_FLIGHT_LOOKUP + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return new Library(namespaces, ids.size() > IN_FLIGHT_LOOKUP ? null : ids);
    }
}
