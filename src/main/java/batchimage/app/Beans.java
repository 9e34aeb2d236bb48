package batchimage.app;

import batchimage.config.Settings;
import batchimage.embed.EmbeddingsClient;
import batchimage.embed.EmbeddingsConfig;
import batchimage.deadletter.DeadLetterHealing;
import batchimage.deadletter.DeadLetters;
import batchimage.index.DimensionCheck;
import batchimage.index.Indexer;
import batchimage.ingest.Importer;
import batchimage.vectors.PineconeClient;
import batchimage.library.Library;
import batchimage.search.SearchService;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.CamelContext;
import org.apache.camel.processor.aggregate.UseOriginalAggregationStrategy;
import org.slf4j.LoggerFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.PropertyInject;

/**
 * The beans the YAML routes call, built in Java so that the routes stay about flow. The DataSource is
 * bound by {@link BatchImage} before Camel starts; everything else comes from the settings.
 */
public class Beans implements CamelConfiguration {

    @BeanInject("dataSource")
    DataSource dataSource;

    @PropertyInject("batch-image.data")
    String dataDir;

    @PropertyInject(value = "ingest.default-theme", defaultValue = "")
    String defaultTheme;

    @PropertyInject(value = "ingest.progress-seconds", defaultValue = "5")
    int progressSeconds;

    @BeanInject("settings")
    Settings settings;

    /** Told of every request and retry of the HTTP clients (metrics, once the service has bound it). */
    @BeanInject("requestMetrics")
    batchimage.observe.RequestMetrics requestMetrics;

    // Camel may call a @BindToRegistry method more than once: the clients hold thread pools, so each is built once

    /** The embeddings client every route that embeds shares (one bound on requests in flight for all). */
    @BindToRegistry(value = "embeddingsClient", beanPostProcess = true)
    public synchronized EmbeddingsClient embeddingsClient(CamelContext camel) {
        if (embeddingsClient == null) {
            var config = EmbeddingsConfig.from(settings);
            LoggerFactory.getLogger(Beans.class).info("embeddings: {}", config);
            embeddingsClient = new EmbeddingsClient(camel, config, requestMetrics);
        }
        return embeddingsClient;
    }

    private EmbeddingsClient embeddingsClient;

    @BindToRegistry(value = "pineconeClient", beanPostProcess = true)
    public synchronized PineconeClient pineconeClient(CamelContext camel) {
        if (pineconeClient == null) {
            pineconeClient = PineconeClient.from(camel, settings, requestMetrics);
        }
        return pineconeClient;
    }

    private PineconeClient pineconeClient;

    @BindToRegistry("indexer")
    public synchronized Indexer indexer(CamelContext camel) {
        if (indexer == null) {
            indexer = new Indexer(dataSource, embeddingsClient(camel), pineconeClient(camel), settings.getInt("index.stale-claim-seconds"),
                    dimensionCheck(camel), settings.getInt("index.retry-seconds"), settings.getInt("index.max-attempts"), namespaces(),
                    deadLetterHealing());
        }
        return indexer;
    }

    private Indexer indexer;

    /** Closes the dead letters whose failure did not recur (the index route and the sync tell it of their successes). */
    @BindToRegistry("deadLetterHealing")
    public synchronized DeadLetterHealing deadLetterHealing() {
        if (deadLetterHealing == null) {
            deadLetterHealing = new DeadLetterHealing();
        }
        return deadLetterHealing;
    }

    private DeadLetterHealing deadLetterHealing;

    /** The index's names of the namespaces: the live generation, and the one a full reindex builds. */
    @BindToRegistry("namespaces")
    public synchronized batchimage.index.Namespaces namespaces() {
        if (namespaces == null) {
            namespaces = new batchimage.index.Namespaces(modelRecord());
        }
        return namespaces;
    }

    private batchimage.index.Namespaces namespaces;

    /** The model of the library's vectors and the generations of the namespaces (index_model). */
    private synchronized batchimage.index.ModelRecord modelRecord() {
        if (modelRecord == null) {
            modelRecord = new batchimage.index.ModelRecord(dataSource);
        }
        return modelRecord;
    }

    private batchimage.index.ModelRecord modelRecord;

    /** A client for the model the live vectors were made with when it is not this process's (search embeds queries with it); one per model. */
    private synchronized EmbeddingsClient embeddingsFor(CamelContext camel, String model, int dimensions) {
        return otherModels.computeIfAbsent(model + "/" + dimensions, k -> {
            var config = embeddingsClient(camel).config().withModel(model, dimensions);
            LoggerFactory.getLogger(Beans.class).info("search embeds queries with the model of the live vectors: {}", config);
            var client = new EmbeddingsClient(camel, config, requestMetrics);
            // closed with the other beans of the registry
            camel.getRegistry().bind("embeddingsClient:" + k, client);
            return client;
        });
    }

    private final java.util.Map<String, EmbeddingsClient> otherModels = new java.util.HashMap<>();

    /** One check of the index's dimension and the model of its vectors, shared by the index route, stats and a full reindex. */
    public synchronized DimensionCheck dimensionCheck(CamelContext camel) {
        if (dimensionCheck == null) {
            // with no Pinecone settings the vectors go to the app's own index in <data>/index
            boolean local = settings.get("pinecone.host").isBlank() && settings.get("pinecone.api-key").isBlank();
            dimensionCheck = new DimensionCheck(pineconeClient(camel), embeddingsClient(camel), local ? settings.dataDir().resolve("index") : null,
                    modelRecord());
        }
        return dimensionCheck;
    }

    private DimensionCheck dimensionCheck;

    /** The multicast to the namespaces continues with its input: the batch records each namespace's outcome itself. */
    @BindToRegistry("searchService")
    public synchronized SearchService searchService(CamelContext camel) {
        if (searchService == null) {
            searchService = new SearchService(embeddingsClient(camel), pineconeClient(camel), new Library(dataSource), namespaces(),
                    (model, dimensions) -> embeddingsFor(camel, model, dimensions));
        }
        return searchService;
    }

    private SearchService searchService;

    /** The sync route's steps: one run at a time on the database, its drift recorded in sync_run. */
    @BindToRegistry("synchronizer")
    public synchronized batchimage.sync.Synchronizer synchronizer(CamelContext camel) {
        if (synchronizer == null) {
            // the app's own index lists what it holds at once; Pinecone's listing lags behind its writes
            String settle = settings.get("sync.settle-seconds");
            int settleSeconds = !settle.isBlank() ? Integer.parseInt(settle.strip()) : dimensionCheck(camel).local() ? 0 : 60;
            synchronizer = new batchimage.sync.Synchronizer(dataSource, pineconeClient(camel), settleSeconds,
                    settings.getInt("sync.wait-seconds"), namespaces(), deadLetterHealing());
        }
        return synchronizer;
    }

    private batchimage.sync.Synchronizer synchronizer;

    /** A full reindex (the sync route in mode full): every record embedded again, the model of the vectors recorded. */
    @BindToRegistry("fullReindex")
    public batchimage.index.FullReindex fullReindex(CamelContext camel) {
        return new batchimage.index.FullReindex(pineconeClient(camel), embeddingsClient(camel), dimensionCheck(camel),
                modelRecord(), namespaces());
    }

    @BindToRegistry("deleter")
    public batchimage.library.Deleter deleter(CamelContext camel) {
        return new batchimage.library.Deleter(dataSource, pineconeClient(camel), namespaces());
    }

    @BindToRegistry("libraryStats")
    public batchimage.library.LibraryStats libraryStats(CamelContext camel) {
        var embeddings = embeddingsClient(camel).config();
        return new batchimage.library.LibraryStats(dataSource, pineconeClient(camel), enricher(), embeddings.model(), embeddings.dimensions());
    }

    @BindToRegistry("deadLetterList")
    public batchimage.deadletter.DeadLetterList deadLetterList() {
        return new batchimage.deadletter.DeadLetterList(dataSource);
    }

    /** Replay and dismissal of dead letters; a file is imported again through the import-file route. */
    @BindToRegistry("deadLetterReplay")
    public batchimage.deadletter.DeadLetterReplay deadLetterReplay(CamelContext camel) {
        return new batchimage.deadletter.DeadLetterReplay(dataSource, settings.dataDir(), defaultTheme,
                file -> Importer.importThroughRoute(camel, file), () -> batchimage.sync.SyncCall.run(camel, "replay", "changed"));
    }

    @BindToRegistry("keepBatch")
    public AggregationStrategy keepBatch() {
        return new UseOriginalAggregationStrategy(null, false);
    }

    @BindToRegistry("deadLetters")
    public DeadLetters deadLetters(CamelContext camel) {
        return new DeadLetters(dataSource, indexer(camel));
    }

    @BeanInject("mediaFolders")
    batchimage.images.MediaFolders mediaFolders;

    /** The enrich route's steps: ComfyUI's history (when comfyui.url is set) and the media folders' index. */
    @BindToRegistry("enricher")
    public synchronized batchimage.enrich.Enricher enricher() {
        if (enricher == null) {
            String url = settings.get("comfyui.url");
            var comfy = url.isBlank() ? null
                    : new batchimage.enrich.ComfyClient(url, settings.get("comfyui.tagger-node"), settings.getInt("comfyui.timeout-ms"),
                            requestMetrics);
            String out = settings.get("comfyui.output-dir");
            enricher = new batchimage.enrich.Enricher(dataSource, mediaFolders, comfy, out.isBlank() ? null : Path.of(out).toAbsolutePath().normalize(),
                    settings.getBoolean("comfyui.fetch-images"),
                    settings.getInt("enrich.retry-seconds"), settings.getInt("enrich.max-attempts"), settings.getInt("enrich.progress-seconds"));
        }
        return enricher;
    }

    private batchimage.enrich.Enricher enricher;

    /** The inbox's read lock (routes/ingest.camel.yaml): of several instances on one database, one takes each file. */
    @BindToRegistry("inboxLocks")
    public synchronized batchimage.ingest.InboxLocks inboxLocks() {
        if (inboxLocks == null) {
            inboxLocks = new batchimage.ingest.InboxLocks(dataSource, "ingest-inbox", settings.getInt("ingest.lock-lease-seconds"));
        }
        return inboxLocks;
    }

    private batchimage.ingest.InboxLocks inboxLocks;

    // the REST API's beans (routes/api.camel.yaml, the service alone): built when a route first calls them

    @BindToRegistry(value = "searchApi", lazy = true)
    public batchimage.api.SearchApi searchApi(CamelContext camel) {
        return new batchimage.api.SearchApi(searchService(camel));
    }

    @BindToRegistry(value = "libraryApi", lazy = true)
    public batchimage.api.LibraryApi libraryApi(CamelContext camel) {
        return new batchimage.api.LibraryApi(deleter(camel), libraryStats(camel), camel);
    }

    @BindToRegistry(value = "deadLettersApi", lazy = true)
    public batchimage.api.DeadLettersApi deadLettersApi(CamelContext camel) {
        return new batchimage.api.DeadLettersApi(deadLetterList(), deadLetterReplay(camel));
    }

    @BindToRegistry(value = "enrichApi", lazy = true)
    public batchimage.api.EnrichApi enrichApi(CamelContext camel) {
        return new batchimage.api.EnrichApi(enricher(), camel);
    }

    /** The images and their thumbnails, from the media folders. */
    @BindToRegistry(value = "imagesApi", lazy = true)
    public synchronized batchimage.api.ImagesApi imagesApi() {
        if (imagesApi == null) {
            imagesApi = batchimage.api.ImagesApi.of(settings, dataSource, mediaFolders);
        }
        return imagesApi;
    }

    private batchimage.api.ImagesApi imagesApi;

    /** The thumbnails the images API renders and keeps in {@code <data>/thumbs}. */
    @BindToRegistry(value = "thumbnails", lazy = true)
    public batchimage.images.Thumbnails thumbnails() {
        return imagesApi().thumbnails();
    }

    /** The HTTP headers of the REST API's answers (camel.rest.endpoint-properties[headerFilterStrategy]). */
    @BindToRegistry("apiHeaders")
    public batchimage.api.ApiHeaders apiHeaders() {
        return new batchimage.api.ApiHeaders();
    }

    @BindToRegistry("importer")
    public Importer importer() {
        return new Importer(dataSource, new ObjectMapper(), Path.of(dataDir).resolve("error"), defaultTheme, progressSeconds, importLeases());
    }

    /** This process's running imports in import_run, and the runs of processes that ended closed as interrupted. */
    @BindToRegistry("importLeases")
    public synchronized batchimage.ingest.ImportLeases importLeases() {
        if (importLeases == null) {
            importLeases = new batchimage.ingest.ImportLeases(dataSource, settings.getInt("ingest.lock-lease-seconds"), true);
        }
        return importLeases;
    }

    private batchimage.ingest.ImportLeases importLeases;
}
