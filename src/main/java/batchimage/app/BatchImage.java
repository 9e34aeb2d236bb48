package batchimage.app;

import batchimage.config.Settings;
import batchimage.index.Indexer;
import batchimage.embed.EmbeddingsApi;
import batchimage.embed.EmbeddingsConfig;
import batchimage.vectors.local.LocalPinecone;
import batchimage.vectors.local.LocalPineconeRoutes;
import batchimage.vectors.local.PineconeApi;
import batchimage.embed.LocalEmbeddingsRoutes;
import batchimage.embed.LocalModels;
import batchimage.ingest.ImportResult;
import batchimage.ingest.Importer;
import batchimage.tooling.RouteReloader;
import batchimage.tooling.RoutesSchema;
import batchimage.search.SearchService;
import batchimage.store.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch-image process: the database (embedded or DATABASE_URL), the Camel context with the YAML
 * routes from routes/, and, for the service, the HTTP server and the inbox poller.
 */
public final class BatchImage implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchImage.class);

    /**
     * What this process is for: the service polls the inbox, indexes and serves; an import indexes what
     * it imported (serving the local endpoints on a free port of its own) unless a service on the same
     * data folder does it; a one-shot process does neither; a search serves the local model and the local
     * index (read-side, beside a service that may be writing it) on a free port of its own, for its
     * {@code searchService}, and neither polls nor indexes; an admin process (a delete run in-process when no
     * service answers) serves the local model and the local index, writable, on a free port of its own, and
     * neither polls nor indexes.
     */
    public enum Mode { SERVICE, IMPORT, ONE_SHOT, SEARCH, ADMIN }

    /** The REST API's routes file in routes/. */
    public static final String API_ROUTES = "api.camel.yaml";

    private final Settings settings;
    private final Database database;
    private Mode mode;
    private java.util.concurrent.ScheduledExecutorService healthProbes;
    private final Main main;
    private RouteReloader reloader;

    private LocalModels localModels;
    private final batchimage.observe.RequestMetrics requestMetrics = new batchimage.observe.RequestMetrics();
    private boolean indexing;
    private LocalPinecone localIndex;

    private BatchImage(Settings settings, Database database, Main main) {
        this.settings = settings;
        this.database = database;
        this.main = main;
    }

    /** Opens the database and builds (but does not start) the Camel application. */
    public static BatchImage create(Settings settings, Mode mode) {
        requireValidRoutes(settings.routesDir());
        Path data = settings.dataDir();
        try {
            for (String dir : new String[] {"inbox", "done", "error", "media"}) {
                Files.createDirectories(data.resolve(dir));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the data folders under " + data + ": " + e.getMessage(), e);
        }
        Database db = Database.open(settings.get("database.url"), data, settings.getInt("database.pool-size"),
                settings.getInt("database.connect-timeout-ms"));
        LOG.info("library database: {}", db.description());

        // the app's own index and model only when the settings use them: an instance that indexes into another's
        // index (pinecone.host) never opens <data>/index, which one process alone may write
        boolean localIndex = settings.get("pinecone.host").isBlank() && settings.get("pinecone.api-key").isBlank();
        boolean localModel = EmbeddingsConfig.from(settings).provider() == EmbeddingsConfig.Provider.LOCAL;
        // a service on this data folder: it started the embedded PostgreSQL here or, with DATABASE_URL, it writes the local index
        boolean serviceHere = db.sharedWithAnotherProcess()
                || localIndex && (mode == Mode.IMPORT || mode == Mode.ADMIN) && LocalPinecone.writtenByAnother(data.resolve("index"));
        if (mode == Mode.IMPORT && serviceHere) {
            LOG.info("a batch-image service runs on this data folder: it indexes what is imported");
        }
        boolean indexHere = mode == Mode.SERVICE || mode == Mode.IMPORT && !serviceHere;
        if (mode == Mode.ADMIN && serviceHere) {
            db.close();
            throw new IllegalStateException("a batch-image service runs on the data folder " + data
                    + " but did not answer: give its address with --url (it owns the local index)");
        }
        if (mode == Mode.SERVICE && db.sharedWithAnotherProcess()) {
            if (localIndex) {
                db.close();
                throw new IllegalStateException("a batch-image service already runs on the data folder " + data + " and writes its index:"
                        + " a second instance needs DATABASE_URL (a PostgreSQL both reach), PINECONE_HOST (the first one's"
                        + " http://host:port/pinecone, or Pinecone) and EMBEDDINGS_URL (its http://host:port/v1/embeddings, or another endpoint)");
            }
            LOG.warn("this service uses the embedded PostgreSQL of another process on {}: it stops when that process stops", data);
        }
        boolean serveLocal = indexHere || mode == Mode.SEARCH || mode == Mode.ADMIN;
        if (mode == Mode.IMPORT && indexHere || mode == Mode.SEARCH || mode == Mode.ADMIN) {
            // the local endpoints this import indexes (or this search searches) through, on a port of its own
            settings = settings.with("batch-image.host", "127.0.0.1").with("batch-image.port", String.valueOf(freePort()));
        }
        // no main class: Camel would scan its package for RouteBuilders and build them without their arguments
        var main = new Main();
        main.setOverrideProperties(CamelProperties.of(settings, mode, serveLocal, indexHere));
        var app = new BatchImage(settings, db, main);
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry meters = null;
        if (mode == Mode.SERVICE) {
            // the registry camel-micrometer-prometheus serves at /observe/metrics, made here so that it counts from the first request
            meters = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
            app.requestMetrics.bindTo(meters);
        }
        app.indexing = indexHere;
        app.mode = mode;
        if (serveLocal && localModel) {
            app.localModels = new LocalModels();
            main.configure().addRoutesBuilder(new LocalEmbeddingsRoutes(new EmbeddingsApi(app.localModels)));
        }
        if (serveLocal && localIndex) {
            // the local Pinecone keeps vectors of the embeddings' dimension (0: the first upsert's), one Lucene index per namespace
            int dimensions = EmbeddingsConfig.from(settings).dimensions();
            LocalPinecone index;
            try {
                index = mode == Mode.SEARCH ? LocalPinecone.readOnly(data.resolve("index"), dimensions)
                        : new LocalPinecone(data.resolve("index"), dimensions);
            } catch (RuntimeException e) {
                // another process writes it: say so, and leave nothing open behind
                db.close();
                throw e;
            }
            app.localIndex = index;
            var pinecone = new PineconeApi(index);
            main.configure().addRoutesBuilder(new LocalPineconeRoutes(pinecone));
            // after the data plane: the control plane, namespaces, and JSON answers for other paths
            main.configure().addRoutesBuilder(new batchimage.vectors.local.PineconeControlRoutes(index, pinecone, settings.get("pinecone.index")));
        }
        if (mode == Mode.SERVICE) {
            // the REST API is routes/api.camel.yaml; the page is not API
            main.configure().addRoutesBuilder(new batchimage.api.PageRoutes());
        }
        Beans.bind(main, settings, db.dataSource(), app.requestMetrics, meters, app.localModels);
        return app;
    }

    /** The routes Camel is about to load, checked against its YAML DSL schema: a mistake is told with its file and line. */
    private static void requireValidRoutes(Path routes) {
        if (!Files.isDirectory(routes)) {
            return;
        }
        try {
            RoutesSchema.camel().requireValid(routes);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the routes in " + routes + ": " + e.getMessage(), e);
        }
    }

    /** Starts the routes without blocking. */
    public BatchImage start() {
        try {
            main.start();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        warmUpLocalModel();
        if (mode == Mode.SERVICE) {
            registerHealthChecks();
        }
        return this;
    }

    /** /observe/health and the library's metrics at /observe/metrics (see {@link ServiceChecks}). */
    private void registerHealthChecks() {
        var probes = ServiceChecks.register(context(), database);
        if (probes != null) {
            healthProbes = probes;
        }
    }

    /** Loads the default local model in the background, so that the first request does not wait for it. */
    private void warmUpLocalModel() {
        String preload = settings.get("local-embeddings.preload");
        if (localModels != null && !preload.isBlank()) {
            var t = new Thread(() -> {
                try {
                    localModels.warmUp(preload);
                } catch (RuntimeException e) {
                    LOG.warn("could not load the local embedding model {}: {}", preload, e.getMessage());
                }
            }, "model-warm-up");
            t.setDaemon(true);
            t.start();
        }
    }

    /** Runs the service until the process is asked to stop; with reload, edited routes apply live. */
    public void runUntilStopped(boolean reload) throws Exception {
        if (reload) {
            main.addMainListener(new org.apache.camel.main.MainListenerSupport() {
                @Override
                public void afterStart(org.apache.camel.main.BaseMainSupport m) {
                    watchRoutes();
                }
            });
        }
        main.addMainListener(new org.apache.camel.main.MainListenerSupport() {
            @Override
            public void afterStart(org.apache.camel.main.BaseMainSupport m) {
                warmUpLocalModel();
                // as start() does: without them a service run from the command line showed only Camel's own checks
                if (mode == Mode.SERVICE) {
                    registerHealthChecks();
                }
            }
        });
        try {
            main.run();
        } finally {
            close();
        }
    }

    /** Starts watching routes/: edited routes apply live, broken edits leave the running routes alone. */
    public RouteReloader watchRoutes() {
        reloader = new RouteReloader(context(), settings.routesDir());
        reloader.start();
        return reloader;
    }

    /** Imports one file through the import-file route, whatever its folder; the file stays where it is. */
    public ImportResult importFile(Path file) {
        return Importer.importThroughRoute(context(), file);
    }

    /** The search every interface goes through (the registry's {@code searchService}). */
    public SearchService search() {
        return context().getRegistry().lookupByNameAndType("searchService", SearchService.class);
    }

    /** This process's lexical index's feed (the registry's {@code lexicalFeed}). */
    public batchimage.lexical.LexicalFeed lexicalFeed() {
        return context().getRegistry().lookupByNameAndType("lexicalFeed", batchimage.lexical.LexicalFeed.class);
    }

    /** Delete by filter (the registry's {@code deleter}). */
    public batchimage.library.Deleter deleter() {
        return context().getRegistry().lookupByNameAndType("deleter", batchimage.library.Deleter.class);
    }

    /** The library's figures (the registry's {@code libraryStats}). */
    public batchimage.library.LibraryStats libraryStats() {
        return context().getRegistry().lookupByNameAndType("libraryStats", batchimage.library.LibraryStats.class);
    }

    /** The dead letters (the registry's {@code deadLetterList}). */
    public batchimage.deadletter.DeadLetterList deadLetterList() {
        return context().getRegistry().lookupByNameAndType("deadLetterList", batchimage.deadletter.DeadLetterList.class);
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public Database database() {
        return database;
    }

    public Settings settings() {
        return settings;
    }

    /** Whether this process indexes (else, for an import, a running service does). */
    public boolean indexes() {
        return indexing;
    }

    static int freePort() {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port for the import's local endpoints: " + e.getMessage(), e);
        }
    }

    /** Where the records of some files stand in the index; {@code blocked}: why none can be indexed now, else null. */
    public record IndexProgress(long total, long indexed, long waiting, long failing, String firstError, String blocked) {
        public IndexProgress blockedBy(String reason) {
            return new IndexProgress(total, indexed, waiting, failing, firstError, reason);
        }
    }

    /**
     * Why this process's settings cannot index anything (the index's dimension differs from the model's),
     * or null. Asks the index and the model once if the index route has not yet.
     */
    public String indexProblem() {
        var indexer = context().getRegistry().lookupByNameAndType("indexer", batchimage.index.Indexer.class);
        return indexer == null ? null : indexer.dimensionProblem();
    }

    public IndexProgress indexProgress(java.util.List<String> files) {
        String sql = """
                SELECT count(*),
                       count(*) FILTER (WHERE index_state = 'indexed'),
                       count(*) FILTER (WHERE index_state IN ('pending', 'indexing') AND index_error IS NULL),
                       count(*) FILTER (WHERE index_state = 'failed' OR index_error IS NOT NULL),
                       min(index_error)
                FROM image_library WHERE status = 'active' AND source_file = ANY (?)
                """;
        try (var c = database.dataSource().getConnection(); var ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", files.toArray()));
            try (var rs = ps.executeQuery()) {
                rs.next();
                return new IndexProgress(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getString(5), null);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the index state: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (healthProbes != null) {
            healthProbes.shutdownNow();
        }
        if (reloader != null) {
            reloader.close();
        }
        Indexer indexer = null;
        batchimage.ingest.ImportLeases imports = null;
        batchimage.lexical.LexicalIndex words = null;
        try {
            if (main.isStarted() || main.isStarting()) {
                indexer = main.getCamelContext().getRegistry().lookupByNameAndType("indexer", Indexer.class);
                words = main.getCamelContext().getRegistry().lookupByNameAndType("lexicalIndex", batchimage.lexical.LexicalIndex.class);
                imports = main.getCamelContext().getRegistry().lookupByNameAndType("importLeases", batchimage.ingest.ImportLeases.class);
                main.stop();
            }
        } catch (RuntimeException e) {
            LOG.warn("stopping Camel: {}", e.toString());
        }
        if (indexer != null) {
            // after the routes: its claims go back to the other processes at once
            indexer.close();
        }
        if (imports != null) {
            imports.close();
        }
        if (words != null) {
            // after the routes (the feed's timer): its lock is free when close returns, for the next process or command
            try {
                words.close();
            } catch (java.io.IOException e) {
                LOG.warn("closing the lexical index: {}", e.toString());
            }
        }
        if (localIndex != null) {
            localIndex.close();
        }
        database.close();
    }
}
