package batchimage.app;

import batchimage.config.Settings;
import batchimage.deadletter.DeadLetterHealing;
import batchimage.deadletter.DeadLetterList;
import batchimage.deadletter.DeadLetterReplay;
import batchimage.deadletter.DeadLetters;
import batchimage.embed.EmbeddingsClient;
import batchimage.embed.EmbeddingsConfig;
import batchimage.embed.LocalModels;
import batchimage.enrich.ComfyClient;
import batchimage.enrich.Enricher;
import batchimage.images.MediaFolders;
import batchimage.index.DimensionCheck;
import batchimage.index.FullReindex;
import batchimage.index.Indexer;
import batchimage.index.ModelRecord;
import batchimage.index.Namespaces;
import batchimage.ingest.Importer;
import batchimage.ingest.ImportLeases;
import batchimage.ingest.InboxLocks;
import batchimage.lexical.LexicalFeed;
import batchimage.lexical.LexicalIndex;
import batchimage.library.Deleter;
import batchimage.library.Library;
import batchimage.library.LibraryStats;
import batchimage.observe.RequestMetrics;
import batchimage.search.HybridSettings;
import batchimage.search.SearchService;
import batchimage.sync.Synchronizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.quartz.QuartzComponent;
import org.apache.camel.main.Main;
import org.apache.camel.processor.aggregate.UseOriginalAggregationStrategy;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.util.function.Suppliers;
import org.slf4j.LoggerFactory;

/**
 * Every bean of the process's registry, bound here and nowhere else. The process's own ones (the DataSource, the
 * settings, the HTTP server, the metrics registry, ...) are bound on {@link Main} before Camel configures itself,
 * since its configuration looks them up; the beans the YAML routes call are built in Java, so that the routes stay
 * about flow, each once and in the order they need each other, when Camel runs this configuration.
 */
public final class Beans implements CamelConfiguration {

    private final Settings settings;
    private final DataSource dataSource;
    private final RequestMetrics requestMetrics;
    private final MediaFolders mediaFolders;

    private Beans(Settings settings, DataSource dataSource, RequestMetrics requestMetrics, MediaFolders mediaFolders) {
        this.settings = settings;
        this.dataSource = dataSource;
        this.requestMetrics = requestMetrics;
        this.mediaFolders = mediaFolders;
    }

    /**
     * Binds the process's own beans on {@code main} and adds the configuration that binds the routes' beans.
     * {@code meters}: the registry camel-micrometer-prometheus serves at /observe/metrics (the service alone), or null;
     * {@code models}: the local embedding models this process serves, or null.
     */
    static void bind(Main main, Settings settings, DataSource dataSource, RequestMetrics requestMetrics,
                     PrometheusMeterRegistry meters, LocalModels models) {
        main.bind("dataSource", dataSource);
        main.bind("settings", settings);
        main.bind("httpServerFactory", batchimage.http.server.HttpServerFactory.from(settings));
        main.bind("quartz", quartz());
        // the clients report their requests here; only the service has a metrics registry to bind it to
        main.bind("requestMetrics", requestMetrics);
        if (meters != null) {
            main.bind("metricsRegistry", meters);
            main.bind("apiRequestTimings", new batchimage.observe.ApiRequestTimings(requestMetrics));
        }
        // one index of the media folders, shared by the images API and the enrich route
        var media = MediaFolders.from(settings);
        main.bind("mediaFolders", media);
        if (models != null) {
            main.bind("localModels", models);
        }
        main.configure().addConfiguration(new Beans(settings, dataSource, requestMetrics, media));
    }

    /** The configuration that binds the routes' beans alone, for a test of some routes without the whole service. */
    public static CamelConfiguration routeBeans(Settings settings, DataSource dataSource, RequestMetrics requestMetrics, MediaFolders media) {
        return new Beans(settings, dataSource, requestMetrics, media);
    }

    /**
     * The Quartz component of the sync route's schedule, with a scheduler of this process's own: Quartz keeps its
     * schedulers by name in the JVM, and two contexts of one name (several instances in one JVM, as in the tests)
     * would otherwise share one scheduler and one job, and only one of them would fire.
     */
    private static QuartzComponent quartz() {
        var quartz = new QuartzComponent();
        var props = new Properties();
        props.setProperty("org.quartz.scheduler.instanceName", "batch-image-" + UUID.randomUUID().toString().substring(0, 8));
        props.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        props.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        props.setProperty("org.quartz.threadPool.threadCount", "2");
        props.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        props.setProperty("org.quartz.jobStore.misfireThreshold", "60000");
        quartz.setProperties(props);
        quartz.setPrefixInstanceName(false);
        return quartz;
    }

    @Override
    public void configure(CamelContext camel) throws Exception {
        Registry registry = camel.getRegistry();
        String dataDir = property(camel, "batch-image.data", null);
        String defaultTheme = property(camel, "ingest.default-theme", "");
        int progressSeconds = Integer.parseInt(property(camel, "ingest.progress-seconds", "5").strip());

        // the embeddings client every route that embeds shares (one bound on requests in flight for all)
        var config = EmbeddingsConfig.from(settings);
        LoggerFactory.getLogger(Beans.class).info("embeddings: {}", config);
        var embeddings = postProcessed(camel, "embeddingsClient", new EmbeddingsClient(camel, config, requestMetrics));
        registry.bind("embeddingsClient", embeddings);
        var pinecone = postProcessed(camel, "pineconeClient", batchimage.vectors.PineconeClient.from(camel, settings, requestMetrics));
        registry.bind("pineconeClient", pinecone);

        // the model of the library's vectors and the generations of the namespaces (index_model)
        var modelRecord = new ModelRecord(dataSource);
        // the index's names of the namespaces: the live generation, and the one a full reindex builds
        var namespaces = new Namespaces(modelRecord);
        registry.bind("namespaces", namespaces);
        // closes the dead letters whose failure did not recur (the index route and the sync tell it of their successes)
        var healing = new DeadLetterHealing();
        registry.bind("deadLetterHealing", healing);
        // one check of the index's dimension and the model of its vectors, shared by the index route, stats and a full reindex;
        // with no Pinecone settings the vectors go to the app's own index in <data>/index
        boolean local = settings.get("pinecone.host").isBlank() && settings.get("pinecone.api-key").isBlank();
        var dimensionCheck = new DimensionCheck(pinecone, embeddings, local ? settings.dataDir().resolve("index") : null, modelRecord);
        var indexer = new Indexer(dataSource, embeddings, pinecone, settings.getInt("index.stale-claim-seconds"), dimensionCheck,
                settings.getInt("index.retry-seconds"), settings.getInt("index.max-attempts"), namespaces, healing);
        registry.bind("indexer", indexer);

        var otherModels = new HashMap<String, EmbeddingsClient>();
        var hybrid = HybridSettings.of(settings.get("search.hybrid.k"), settings.get("search.hybrid.candidates"),
                settings.get("search.hybrid.weight.lexical"), settings.get("search.hybrid.weight.prompt"),
                settings.get("search.hybrid.weight.description"), settings.get("search.lexical.boost.words"), settings.get("search.lexical.boost.tags"),
                settings.get("search.lexical.boost.prompt"), settings.get("search.lexical.boost.name"));
        // the lexical side of search: this process's index of the records' words in <data>/lexical, fed from PostgreSQL
        // (route lexical-feed); read-side when another process of the data folder writes it
        var words = LexicalIndex.open(settings.dataDir().resolve("lexical"), hybrid.boosts());
        registry.bind("lexicalIndex", words);
        var feed = new LexicalFeed(dataSource, words);
        registry.bind("lexicalFeed", feed);
        var search = new SearchService(embeddings, pinecone, new Library(dataSource), namespaces,
                (model, dimensions) -> embeddingsFor(camel, embeddings, otherModels, model, dimensions), words, hybrid);
        registry.bind("searchService", search);

        // the sync route's steps: one run at a time on the database, its drift recorded in sync_run;
        // the app's own index lists what it holds at once, Pinecone's listing lags behind its writes
        String settle = settings.get("sync.settle-seconds");
        int settleSeconds = !settle.isBlank() ? Integer.parseInt(settle.strip()) : dimensionCheck.local() ? 0 : 60;
        registry.bind("synchronizer", new Synchronizer(dataSource, pinecone, settleSeconds, settings.getInt("sync.wait-seconds"),
                namespaces, healing, feed));
        // a full reindex (the sync route in mode full): every record embedded again, the model of the vectors recorded
        registry.bind("fullReindex", new FullReindex(pinecone, embeddings, dimensionCheck, modelRecord, namespaces));

        var enricher = enricher();
        registry.bind("enricher", enricher);
        var deleter = new Deleter(dataSource, pinecone, namespaces);
        deleter.afterDelete(feed::catchUp);
        registry.bind("deleter", deleter);
        // this process's running imports in import_run, and the runs of processes that ended closed as interrupted
        var leases = new ImportLeases(dataSource, settings.getInt("ingest.lock-lease-seconds"), true);
        registry.bind("importLeases", leases);
        var stats = new LibraryStats(dataSource, pinecone, enricher, config.model(), config.dimensions(), leases.progress(), feed);
        registry.bind("libraryStats", stats);
        var letters = new DeadLetterList(dataSource);
        registry.bind("deadLetterList", letters);
        // replay and dismissal of dead letters; a file is imported again through the import-file route
        var replay = new DeadLetterReplay(dataSource, settings.dataDir(), defaultTheme, file -> Importer.importThroughRoute(camel, file),
                () -> batchimage.sync.SyncCall.run(camel, "replay", "changed"));
        registry.bind("deadLetterReplay", replay);
        // the multicast to the namespaces continues with its input: the batch records each namespace's outcome itself
        registry.bind("keepBatch", new UseOriginalAggregationStrategy(null, false));
        registry.bind("deadLetters", new DeadLetters(dataSource, indexer));

        // the inbox's read lock (routes/ingest.camel.yaml): of several instances on one database, one takes each file
        registry.bind("inboxLocks", new InboxLocks(dataSource, "ingest-inbox", settings.getInt("ingest.lock-lease-seconds")));
        registry.bind("importer", new Importer(dataSource, new ObjectMapper(), Path.of(dataDir).resolve("error"), defaultTheme,
                progressSeconds, leases));

        // the REST API's beans (routes/api.camel.yaml, the service alone): built when a route first calls them
        registry.bind("searchApi", batchimage.api.SearchApi.class, () -> new batchimage.api.SearchApi(search));
        registry.bind("libraryApi", batchimage.api.LibraryApi.class, () -> new batchimage.api.LibraryApi(deleter, stats, camel));
        registry.bind("deadLettersApi", batchimage.api.DeadLettersApi.class, () -> new batchimage.api.DeadLettersApi(letters, replay));
        // the import runs, and batch files sent to the inbox (the HTTP server receives them: http/server/Uploads)
        registry.bind("importsApi", batchimage.api.ImportsApi.class,
                () -> new batchimage.api.ImportsApi(new batchimage.ingest.ImportHistory(dataSource, leases.progress()), camel));
        registry.bind("enrichApi", batchimage.api.EnrichApi.class, () -> new batchimage.api.EnrichApi(enricher, camel));
        // the images and their thumbnails (which the images API renders and keeps in <data>/thumbs), from the media folders
        Supplier<batchimage.api.ImagesApi> images = Suppliers.memorize(() -> batchimage.api.ImagesApi.of(settings, dataSource, mediaFolders));
        registry.bind("imagesApi", batchimage.api.ImagesApi.class, images::get);
        registry.bind("thumbnails", batchimage.images.Thumbnails.class, () -> images.get().thumbnails());
        // the HTTP headers of the REST API's answers (camel.rest.endpoint-properties[headerFilterStrategy])
        registry.bind("apiHeaders", new batchimage.api.ApiHeaders());
    }

    /** A property as Camel resolves it (the settings, as its override properties). */
    private static String property(CamelContext camel, String key, String defaultValue) {
        return camel.getPropertiesComponent().resolveProperty(key).orElse(defaultValue);
    }

    /** The bean with Camel's injection done on it, as for a bean Camel creates. */
    private static <T> T postProcessed(CamelContext camel, String name, T bean) throws Exception {
        var processor = PluginHelper.getBeanPostProcessor(camel);
        processor.postProcessBeforeInitialization(bean, name);
        processor.postProcessAfterInitialization(bean, name);
        return bean;
    }

    /** The enrich route's steps: ComfyUI's history (when comfyui.url is set) and the media folders' index. */
    private Enricher enricher() {
        String url = settings.get("comfyui.url");
        var comfy = url.isBlank() ? null
                : new ComfyClient(url, settings.get("comfyui.tagger-node"), settings.getInt("comfyui.timeout-ms"), requestMetrics);
        String out = settings.get("comfyui.output-dir");
        return new Enricher(dataSource, mediaFolders, comfy, out.isBlank() ? null : Path.of(out).toAbsolutePath().normalize(),
                settings.getBoolean("comfyui.fetch-images"),
                settings.getInt("enrich.retry-seconds"), settings.getInt("enrich.max-attempts"), settings.getInt("enrich.progress-seconds"));
    }

    /** A client for the model the live vectors were made with when it is not this process's (search embeds queries with it); one per model. */
    private EmbeddingsClient embeddingsFor(CamelContext camel, EmbeddingsClient embeddings, Map<String, EmbeddingsClient> clients,
                                           String model, int dimensions) {
        synchronized (clients) {
            return clients.computeIfAbsent(model + "/" + dimensions, k -> {
                var config = embeddings.config().withModel(model, dimensions);
                LoggerFactory.getLogger(Beans.class).info("search embeds queries with the model of the live vectors: {}", config);
                var client = new EmbeddingsClient(camel, config, requestMetrics);
                // closed with the other beans of the registry
                camel.getRegistry().bind("embeddingsClient:" + k, client);
                return client;
            });
        }
    }
}
