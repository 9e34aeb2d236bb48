package batchimage.app;

import batchimage.app.BatchImage.Mode;
import batchimage.config.Settings;
import java.util.Properties;

/** What Camel Main is told for one process: its routes, its HTTP server, and which routes run, by what the process is for. */
final class CamelProperties {

    private CamelProperties() {
    }

    /**
     * The settings as Camel's override properties, with Camel Main's own settings for a process of {@code mode}:
     * {@code serveLocal}, whether it serves the local endpoints; {@code indexHere}, whether it indexes.
     */
    static Properties of(Settings settings, Mode mode, boolean serveLocal, boolean indexHere) {
        Properties props = settings.asProperties();
        props.setProperty("camel.main.name", "batch-image");
        props.setProperty("camel.main.routes-include-pattern", "file:" + settings.routesDir() + "/*.camel.yaml");
        if (mode != Mode.SERVICE) {
            // the service alone serves the REST API (/api/*) and its document (/api-doc)
            props.setProperty("camel.main.routes-exclude-pattern", "file:" + settings.routesDir() + "/" + BatchImage.API_ROUTES);
            props.setProperty("camel.main.route-filter-exclude-pattern", settings.get("camel.rest.api-context-route-id"));
        }
        props.setProperty("camel.main.routes-reload-enabled", "false");
        props.setProperty("camel.main.shutdown-timeout", "15");
        props.setProperty("camel.main.jmx-enabled", "false");
        if (serveLocal) {
            props.setProperty("camel.server.enabled", "true");
            props.setProperty("camel.server.host", settings.get("batch-image.host"));
            props.setProperty("camel.server.port", settings.get("batch-image.port"));
            if (mode == Mode.SERVICE) {
                // /observe/health and /observe/metrics on the same server (same port: Camel shares it)
                props.setProperty("camel.management.enabled", "true");
                props.setProperty("camel.management.host", settings.get("batch-image.host"));
                props.setProperty("camel.management.port", settings.get("batch-image.port"));
                props.setProperty("camel.management.health-check-enabled", "true");
                // every check with its message, UP ones included: a user sees what each dependency answered
                props.setProperty("camel.health.exposure-level", "full");
                props.setProperty("camel.management.metrics-enabled", "true");
                props.setProperty("camel.metrics.enabled", "true");
                // route timings are enough: the exchange notifier would also time every HTTP call the clients
                // make outside routes, under a tag set Prometheus refuses to mix with the routes'
                props.setProperty("camel.metrics.enable-exchange-event-notifier", "false");
            }
        } else {
            props.setProperty("camel.server.enabled", "false");
        }
        if (!indexHere) {
            props.setProperty("index.enabled", "false");
        }
        if (mode != Mode.SERVICE) {
            props.setProperty("ingest.poll-inbox", "false");
            // only the service enriches and syncs on a schedule; `enrich` and `reindex` run them on demand
            props.setProperty("enrich.enabled", "false");
            props.setProperty("sync.enabled", "false");
        }
        if (mode == Mode.IMPORT && indexHere) {
            // the import waits for its records to be indexed: its index route must run
            props.setProperty("index.enabled", "true");
        }
        return props;
    }
}
