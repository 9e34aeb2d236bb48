package batchimage.support;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A test of some of the project's routes files under Camel Main (camel-test-main-junit5), without the rest of
 * the application: no HTTP server, local model or index unless the routes named need them. One Camel context
 * and one {@link RouteTestLibrary} (data folder, database, settings, beans) for the whole class. A subclass names
 * the routes files and the settings it overrides in methods, not in fields or a constructor: Camel's test support
 * asks for them while the object is being made.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class RoutesUnderTest extends CamelMainTestSupport {

    // made on first use: CamelTestSupport's constructor asks for the properties, before any constructor of a subclass ran
    private RouteTestLibrary library;

    /** The routes files of routes/ under test, such as {@code ingest.camel.yaml}. */
    protected abstract String[] routesFiles();

    /** Settings the test overrides; none by default. */
    protected Map<String, String> settings() {
        return Map.of();
    }

    /** The library's data folder is named after the test class, and so is its database. */
    private String hint() {
        return getClass().getSimpleName().replace("Test", "").toLowerCase(java.util.Locale.ROOT);
    }

    protected final RouteTestLibrary library() {
        if (library == null) {
            library = new RouteTestLibrary(hint(), settings());
        }
        return library;
    }

    /** The test's data folder (inbox/, done/, error/, media/). */
    protected final Path data() {
        return library().data;
    }

    /** The JDBC URL of the test's own database. */
    protected final String db() {
        return library().db;
    }

    @Override
    protected void configure(MainConfigurationProperties config) {
        library().configure(config, routesFiles());
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        return library().properties();
    }

    @Override
    protected org.apache.camel.spi.Registry createCamelRegistry() {
        return library().registry();
    }

    @AfterAll
    void closeLibrary() {
        library().close();
    }
}
