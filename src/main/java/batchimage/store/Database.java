package batchimage.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL the library lives in: {@code DATABASE_URL} when set, otherwise an embedded PostgreSQL
 * whose data stays in {@code <data>/postgres} between runs. A second process on the same data folder
 * (the CLI beside a running service) connects to the server the first one started.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final HikariDataSource pool;
    private final EmbeddedPostgres embedded;
    private final String description;
    private final boolean shared;

    private Database(HikariDataSource pool, EmbeddedPostgres embedded, String description) {
        this(pool, embedded, description, false);
    }

    private Database(HikariDataSource pool, EmbeddedPostgres embedded, String description, boolean shared) {
        this.pool = pool;
        this.embedded = embedded;
        this.description = description;
        this.shared = shared;
    }

    /** True when the embedded PostgreSQL of this data folder was started by another process (a running service). */
    public boolean sharedWithAnotherProcess() {
        return shared;
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

    private static Database openEmbedded(Path pgData, int poolSize, long connectTimeoutMs) {
        Integer running = runningPostmasterPort(pgData);
        if (running != null) {
            var jdbc = new JdbcUrl("jdbc:postgresql://127.0.0.1:" + running + "/postgres", "postgres", "");
            return new Database(pool(jdbc, poolSize, connectTimeoutMs), null,
                    "embedded PostgreSQL already running on port " + running + " (" + pgData + ")", true);
        }
        try {
            Files.createDirectories(pgData);
            var pg = EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(java.time.Duration.ofSeconds(60))
                    .setServerConfig("max_connections", "100")
                    .setServerConfig("fsync", "on")
                    // bulk imports write a lot of WAL: fewer checkpoints, bigger buffers
                    .setServerConfig("shared_buffers", "1GB")
                    .setServerConfig("max_wal_size", "4GB")
                    .setServerConfig("checkpoint_timeout", "15min")
                    .setServerConfig("wal_buffers", "32MB")
                    .setServerConfig("maintenance_work_mem", "256MB")
                    .start();
            var jdbc = new JdbcUrl("jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres", "postgres", "");
            LOG.info("embedded PostgreSQL started on port {} with data in {}", pg.getPort(), pgData);
            return new Database(pool(jdbc, poolSize, connectTimeoutMs), pg, "embedded PostgreSQL on port " + pg.getPort() + " (" + pgData + ")");
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL in " + pgData + ": " + e.getMessage(), e);
        }
    }

    /** The port of a live postmaster on this data folder (postmaster.pid line 4), or null. */
    static Integer runningPostmasterPort(Path pgData) {
        Path pidFile = pgData.resolve("postmaster.pid");
        try {
            if (!Files.isRegularFile(pidFile)) {
                return null;
            }
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.size() < 4) {
                return null;
            }
            long pid = Long.parseLong(lines.get(0).trim());
            int port = Integer.parseInt(lines.get(3).trim());
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                try (var s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    return port;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("no running postmaster in {}: {}", pgData, e.toString());
        }
        return null;
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
            try {
                embedded.close();
                LOG.info("embedded PostgreSQL stopped");
            } catch (IOException e) {
                LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
            }
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
