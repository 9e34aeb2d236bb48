package batchimage.support;

import batchimage.config.Settings;
import batchimage.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.main.MainConfigurationProperties;

/**
 * What a {@code @CamelMainTest} of a few routes needs instead of the whole application: a data folder and
 * database of its own, the settings of {@link TestLibrary#settings}, and the beans BatchImage binds before
 * Camel starts (dataSource, settings, requestMetrics). No HTTP server, no local model, no index.
 */
public final class RouteTestLibrary implements AutoCloseable {

    public final Path data;
    public final String db;
    public final Settings settings;
    public final Database database;
    private final batchimage.observe.RequestMetrics requestMetrics;
    private final batchimage.images.MediaFolders mediaFolders;

    public RouteTestLibrary(String hint, Map<String, String> extra) {
        try {
            data = Files.createTempDirectory("route-test-" + hint);
            for (String dir : new String[] {"inbox", "done", "error", "media"}) {
                Files.createDirectories(data.resolve(dir));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        db = TestPostgres.newDatabase(hint);
        settings = TestLibrary.settings(TestLibrary.PROJECT, data, db, extra);
        requestMetrics = new batchimage.observe.RequestMetrics();
        mediaFolders = batchimage.images.MediaFolders.from(settings);
        database = Database.open(db, data, settings.getInt("database.pool-size"), settings.getInt("database.connect-timeout-ms"));
    }

    /** The project's routes files named, its settings, and the beans of app/Beans over this test's database. */
    public void configure(MainConfigurationProperties config, String... routesFiles) {
        var pattern = new StringBuilder();
        for (String f : routesFiles) {
            pattern.append(pattern.isEmpty() ? "" : ",").append("file:").append(settings.routesDir()).append('/').append(f);
        }
        config.setRoutesIncludePattern(pattern.toString());
        config.setJmxEnabled(false);
        config.addConfiguration(batchimage.app.Beans.routeBeans(settings, database.dataSource(), requestMetrics, mediaFolders));
    }

    /** The beans BatchImage.create binds before Camel starts, for {@code createCamelRegistry}: app/Beans injects them. */
    public org.apache.camel.spi.Registry registry() {
        var registry = new org.apache.camel.support.DefaultRegistry();
        registry.bind("dataSource", database.dataSource());
        registry.bind("settings", settings);
        registry.bind("requestMetrics", requestMetrics);
        registry.bind("mediaFolders", mediaFolders);
        return registry;
    }

    /** The settings as Camel's properties, for {@code @UseOverridePropertiesWithPropertiesComponent}. */
    public Properties properties() {
        Properties p = settings.asProperties();
        // the REST configuration of application.properties makes the /api-doc route, which is left out
        p.setProperty("camel.server.enabled", "false");
        p.setProperty("camel.main.route-filter-exclude-pattern", settings.get("camel.rest.api-context-route-id"));
        return p;
    }

    @Override
    public void close() {
        database.close();
        // the data folder goes with the test, as a @TempDir would
        try (var paths = Files.walk(data)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
