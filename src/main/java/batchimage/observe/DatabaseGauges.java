package batchimage.observe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges whose figures come from PostgreSQL (so the same on every instance on the database): each holds the value
 * last read, and {@link #refresh} reads them all in the background rather than at each scrape. A failed read keeps
 * the last figures (the database health check says why).
 */
abstract class DatabaseGauges {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseGauges.class);
    private static final long EVERY_SECONDS = 10;

    private final DataSource dataSource;
    private final MeterRegistry registry;
    private final String what;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    /** {@code what}: the figures, as the log names them when they cannot be read. */
    DatabaseGauges(DataSource dataSource, MeterRegistry registry, String what) {
        this.dataSource = dataSource;
        this.registry = registry;
        this.what = what;
    }

    /** Registers gauge {@code name} with tags (name, value pairs) showing value {@code key}, divided by {@code scale}. */
    final void gauge(String key, String name, String description, String baseUnit, double scale, String... tags) {
        AtomicLong v = value(key);
        var b = Gauge.builder(name, v, x -> x.get() / scale).description(description).tags(tags);
        if (baseUnit != null) {
            b.baseUnit(baseUnit);
        }
        b.register(registry);
    }

    final void gauge(String key, String name, String description, String... tags) {
        gauge(key, name, description, null, 1, tags);
    }

    /** The value a gauge shows, to set in {@link #read}. */
    final AtomicLong value(String key) {
        return values.computeIfAbsent(key, k -> new AtomicLong());
    }

    /** Sets the values from the database. */
    abstract void read(Connection c) throws SQLException, IOException;

    /** Reads the figures now; a failure keeps the last ones. */
    public final void refresh() {
        try (Connection c = dataSource.getConnection()) {
            read(c);
        } catch (SQLException | IOException e) {
            LOG.debug("metrics: cannot read {}: {}", what, e.getMessage());
        }
    }

    /** Reads the figures now and every 10 s on {@code executor}. */
    public final void refreshOn(ScheduledExecutorService executor) {
        executor.scheduleWithFixedDelay(this::refresh, 0, EVERY_SECONDS, TimeUnit.SECONDS);
    }
}
