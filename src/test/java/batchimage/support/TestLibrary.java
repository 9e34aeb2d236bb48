package batchimage.support;

import batchimage.app.BatchImage;
import batchimage.config.Settings;
import batchimage.tooling.RoutesSchema;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Starts batch-image for a test: its own data folder and database, the project's real routes and settings. */
public final class TestLibrary {

    /** The project folder: application.properties and routes/ are read from here, as bin/batch-image does. */
    public static final Path PROJECT = Path.of("").toAbsolutePath();
    /** ../shared/data, read only. */
    public static final Path SHARED_DATA = PROJECT.resolve("../shared/data").normalize();

    private TestLibrary() {
    }

    /** Settings for a test: fast polling, a free port, the given database and data folder. */
    public static Settings settings(Path home, Path data, String jdbcUrl, Map<String, String> extra) {
        var overrides = new HashMap<String, String>();
        overrides.put("batch-image.data", data.toString());
        overrides.put("database.url", jdbcUrl);
        overrides.put("database.pool-size", "4");
        overrides.put("database.connect-timeout-ms", "2000");
        overrides.put("ingest.poll-delay", "100");
        overrides.put("ingest.min-age", "300");
        // a file dropped again under the same name waits for the lock on the one before to be given back
        overrides.put("ingest.lock-release-delay-ms", "1000");
        overrides.put("batch-image.port", String.valueOf(freePort()));
        // a scheduled sync would repair what a test breaks on purpose: the tests of the sync turn it on
        overrides.put("sync.enabled", "false");
        overrides.putAll(extra);
        return Settings.load(home, Map.of(), overrides);
    }

    public static BatchImage service(Path data, String jdbcUrl) {
        return service(data, jdbcUrl, Map.of());
    }

    public static BatchImage service(Path data, String jdbcUrl, Map<String, String> extra) {
        return BatchImage.create(settings(PROJECT, data, jdbcUrl, extra), BatchImage.Mode.SERVICE).start();
    }

    /** For tests of ingest alone: the index route does not touch the rows they watch. */
    public static final Map<String, String> NO_INDEXING = Map.of("index.enabled", "false");

    public static BatchImage oneShot(Path data, String jdbcUrl) {
        return BatchImage.create(settings(PROJECT, data, jdbcUrl, Map.of()), BatchImage.Mode.ONE_SHOT).start();
    }

    public static int freePort() {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A home of its own for a test that edits the routes: the project's application.properties and routes/ copied. */
    public static Path copyProject(Path home) throws IOException {
        Files.copy(PROJECT.resolve("application.properties"), home.resolve("application.properties"));
        Path routes = Files.createDirectories(home.resolve("routes"));
        for (Path f : RoutesSchema.routesFiles(PROJECT.resolve("routes"))) {
            Files.copy(f, routes.resolve(f.getFileName()));
        }
        return routes;
    }

    public static Path copyShared(String relative, Path dir) throws IOException {
        Path src = SHARED_DATA.resolve(relative);
        Files.createDirectories(dir);
        Path dst = dir.resolve(src.getFileName());
        Files.copy(src, dst);
        return dst;
    }

    public static long count(String jdbcUrl, String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    public static String text(String jdbcUrl, String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The ids of the library's records that match {@code where} (SQL), in id order. */
    public static List<String> ids(String jdbcUrl, String where) {
        String sql = "SELECT id::text FROM image_library WHERE " + where + " ORDER BY id";
        var out = new ArrayList<String>();
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The URL of the server's maintenance database, for statements about a test database itself. */
    public static String adminUrl(String jdbcUrl) {
        int q = jdbcUrl.indexOf('?');
        int slash = jdbcUrl.lastIndexOf('/', q < 0 ? jdbcUrl.length() : q);
        return jdbcUrl.substring(0, slash) + "/postgres" + (q < 0 ? "" : jdbcUrl.substring(q));
    }

    public static String databaseName(String jdbcUrl) {
        int q = jdbcUrl.indexOf('?');
        String head = q < 0 ? jdbcUrl : jdbcUrl.substring(0, q);
        return head.substring(head.lastIndexOf('/') + 1);
    }

    public static void execute(String jdbcUrl, String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
