package batchimage.deadletter;

import batchimage.index.IndexBatch;
import batchimage.index.Indexer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where every route's dead-letter channel ends: the failure is stored in dead_letter with the route,
 * the reason and what was being processed. An index batch that failed keeps its records pending with
 * the reason (the namespace that failed, or all of them), so that a later round retries them; its letter
 * names them (column records), and is resolved once they are indexed ({@link DeadLetterHealing}).
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private static final String INSERT = """
            INSERT INTO dead_letter (stage, source_file, record_id, reason, raw, records) VALUES (?, ?, ?, ?, ?, ?::uuid[])
            """;

    private final DataSource dataSource;
    private final Indexer indexer;
    private final ObjectMapper json = new ObjectMapper();

    public DeadLetters(DataSource dataSource, Indexer indexer) {
        this.dataSource = dataSource;
        this.indexer = indexer;
    }

    public void store(Exchange exchange) throws Exception {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = cause == null ? "unknown failure" : cause.getMessage() == null ? cause.toString() : cause.getMessage();
        String route = exchange.getProperty(Exchange.FAILURE_ROUTE_ID, String.class);
        String namespace = exchange.getProperty("indexNamespace", String.class);
        Object body = exchange.getMessage().getBody();
        var raw = new LinkedHashMap<String, Object>();
        raw.put("route", route);
        List<String> records = null;
        if (namespace != null) {
            raw.put("namespace", namespace);
        }
        if (body instanceof IndexBatch batch) {
            records = batch.ids();
            raw.put("records", records);
            batch.fail(namespace, reason);
            if (namespace == null) {
                // the whole batch failed before its namespaces were tried: write its state here
                indexer.finish(batch);
            }
        } else if (body != null) {
            raw.put("body", body.toString().length() > 2000 ? body.toString().substring(0, 2000) : body.toString());
        }
        // a route may name its stage (the index workers' route is the 'index' stage)
        String named = exchange.getProperty("stage", String.class);
        String stage = namespace != null ? "index-" + namespace : named != null ? named : route == null ? "unknown" : route;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, stage);
            ps.setString(2, null);
            ps.setString(3, null);
            ps.setString(4, reason);
            ps.setString(5, json.writeValueAsString(raw));
            // the letter is resolved once these records are indexed (DeadLetterHealing)
            ps.setArray(6, records == null ? null : c.createArrayOf("uuid", records.toArray()));
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.error("cannot store a dead letter of {} ({}): {}", stage, reason, e.getMessage());
        }
        LOG.warn("dead letter from {}: {}", stage, reason);
    }
}
