package batchimage;

import batchimage.config.Settings;
import batchimage.embed.EmbeddingsClient;
import batchimage.embed.EmbeddingsConfig;
import batchimage.deadletter.DeadLetters;
import batchimage.index.DimensionCheck;
import batchimage.index.Indexer;
import batchimage.ingest.Importer;
import batchimage.pinecone.PineconeClient;
import batchimage.search.Library;
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
public class BatchImageBeans implements CamelConfiguration {

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
            LoggerFactory.getLogger(BatchImageBeans.class).info("embeddings: {}", config);
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
            // with no Pinecone settings the vectors go to the app's own index in <data>/index
            boolean local = settings.get("pinecone.host").isBlank() && settings.get("pinecone.api-key").isBlank();
            var dimensions = new DimensionCheck(pineconeClient(camel), embeddingsClient(camel), local ? settings.dataDir().resolve("index") : null);
            indexer = new Indexer(dataSource, embeddingsClient(camel), pineconeClient(camel), settings.getInt("index.stale-claim-seconds"), dimensions);
        }
        return indexer;
    }

    private Indexer indexer;

    /** The multicast to the namespaces continues with its input: the batch records each namespace's outcome itself. */
    @BindToRegistry("searchService")
    public synchronized SearchService searchService(CamelContext camel) {
        if (searchService == null) {
            searchService = new SearchService(embeddingsClient(camel), pineconeClient(camel), new Library(dataSource));
        }
        return searchService;
    }

    private SearchService searchService;

    @BindToRegistry("deleter")
    public batchimage.sync.Deleter deleter(CamelContext camel) {
        return new batchimage.sync.Deleter(dataSource, pineconeClient(camel));
    }

    @BindToRegistry("libraryStats")
    public batchimage.sync.LibraryStats libraryStats(CamelContext camel) {
        return new batchimage.sync.LibraryStats(dataSource, pineconeClient(camel), enricher());
    }

    @BindToRegistry("deadLetterList")
    public batchimage.deadletter.DeadLetterList deadLetterList() {
        return new batchimage.deadletter.DeadLetterList(dataSource);
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
                    : new batchimage.enrich.ComfyClient(url, settings.get("comfyui.tagger-node"), settings.getInt("comfyui.timeout-ms"));
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

    @BindToRegistry("importer")
    public Importer importer() {
        return new Importer(dataSource, new ObjectMapper(), Path.of(dataDir).resolve("error"), defaultTheme, progressSeconds);
    }
}
