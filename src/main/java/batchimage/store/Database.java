package batchimage.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL the library lives in: {@code DATABASE_URL} when set, otherwise an embedded PostgreSQL
 * whose data stays in {@code <data>/postgres} between runs ({@link EmbeddedServer}). A second process on the same
 * data folder (the CLI beside a running service) connects to the server the first one started.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final HikariDataSource pool;
    private final EmbeddedServer embedded;
    private final String description;

    private Database(HikariDataSource pool, EmbeddedServer embedded, String description) {
        this.pool = pool;
        this.embedded = embedded;
        this.description = description;
    }

    /** True when the embedded PostgreSQL of this data folder is another process's (a running service's), which this one joined. */
    public boolean sharedWithAnotherProcess() {
        return embedded != null && !embedded.owner();
    }

    /** Why the database does not answer now, when this process knows (its embedded PostgreSQL stopped and is being started again), or null. */
    public String problem() {
        return embedded == null ? null : embedded.problem();
    }

    /** The health check's probe: what answered, or why nothing does (at once when its own embedded PostgreSQL is known to be down). */
    public String probe() {
        String down = problem();
        if (down != null) {
            throw new IllegalStateException("PostgreSQL (" + description + ") cannot be reached: " + down);
        }
        try (var c = pool.getConnection()) {
            if (!c.isValid(5)) {
                throw new IllegalStateException("PostgreSQL (" + description + ") does not answer");
            }
            return "PostgreSQL answers: " + description;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("PostgreSQL (" + description + ") cannot be reached: " + e.getMessage(), e);
        }
    }

    /** Opens the database the settings name, migrating its schema with Flyway. */
    public static Database open(String databaseUrl, Path dataDir, int poolSize) {
        return open(databaseUrl, dataDir, poolSize, 30_000);
    }

    /** As above, waiting at most {@code connectTimeoutMs} for a connection before calling the database unavailable. */
    public static Database open(String databaseUrl, Path dataDir, int poolSize, long connectTimeoutMs) {
        Database db;
        if (databaseUrl != null && !databaseUrl.isBlank()) {
            var jdbc = JdbcUrl.parse(databaseUrl);
            db = new Database(pool(jdbc, poolSize, connectTimeoutMs), null, "PostgreSQL at " + jdbc.redacted());
        } else {
            db = openEmbedded(dataDir.resolve("postgres"), poolSize, connectTimeoutMs);
        }
        try {
            db.migrate();
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    /**
     * The data folder's own PostgreSQL: started here with durable settings (see {@link EmbeddedServer}), or the one a
     * running service started, or, left running by a process that was killed, stopped and started again here.
     */
    private static Database openEmbedded(Path pgData, int poolSize, long connectTimeoutMs) {
        EmbeddedServer server;
        try {
            server = EmbeddedServer.open(pgData, Duration.ofMinutes(10));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL in " + pgData + ": " + e.getMessage(), e);
        }
        try {
            var jdbc = new JdbcUrl("jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres", "postgres", "");
            return new Database(pool(jdbc, poolSize, connectTimeoutMs), server, server.toString());
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static HikariDataSource pool(JdbcUrl jdbc, int poolSize, long connectTimeoutMs) {
        var cfg = new HikariConfig();
        cfg.setJdbcUrl(jdbc.url());
        cfg.setUsername(jdbc.user());
        cfg.setPassword(jdbc.password());
        // Flyway holds two connections at once while it migrates
        cfg.setMaximumPoolSize(Math.max(poolSize, 3));
        cfg.setMinimumIdle(1);
        cfg.setPoolName("batch-image");
        cfg.setConnectionTimeout(connectTimeoutMs);
        cfg.setInitializationFailTimeout(30_000);
        return new HikariDataSource(cfg);
    }

    private void migrate() {
        var flyway = Flyway.configure()
                .dataSource(pool)
                .locations("classpath:db/migration")
                // an existing image_library from the old scripts has no history table: adopt it, then migrate
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load();
        var result = flyway.migrate();
        if (result.migrationsExecuted > 0) {
            LOG.info("database schema migrated to version {} ({} migrations)", result.targetSchemaVersion, result.migrationsExecuted);
        }
    }

    public DataSource dataSource() {
        return pool;
    }

    public String description() {
        return description;
    }

    private boolean closed;

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.close();
        if (embedded != null) {
            embedded.close();
        }
    }

    /** A JDBC URL with its credentials, from either a postgresql:// URL or a jdbc:postgresql: URL. */
    public record JdbcUrl(String url, String user, String password) {

        public static JdbcUrl parse(String value) {
            String v = value.trim();
            if (v.startsWith("jdbc:postgresql:")) {
                return new JdbcUrl(v, null, null);
            }
            if (!v.startsWith("postgresql://") && !v.startsWith("postgres://")) {
                throw new IllegalArgumentException("DATABASE_URL must look like postgresql://user:pass@host:port/db"
                        + " or jdbc:postgresql://host:port/db, found something starting with '"
                        + v.substring(0, Math.min(12, v.length())) + "'");
            }
            URI uri = URI.create(v);
            String user = null;
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                password = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
            }
            int port = uri.getPort() > 0 ? uri.getPort() : 5432;
            String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
            String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
            return new JdbcUrl("jdbc:postgresql://" + uri.getHost() + ":" + port + "/" + db + query, user, password);
        }

        /** The URL without secrets, for logs. */
        public String redacted() {
            return url.replaceAll("(?i)(password=)[^&]*", "$1***") + (user == null ? "" : " as " + user);
        }
    }
}
