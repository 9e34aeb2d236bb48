package batchimage;

import batchimage.config.Settings;
import batchimage.embed.EmbeddingsClient;
import batchimage.embed.EmbeddingsConfig;
import batchimage.ingest.Importer;
import org.apache.camel.CamelContext;
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

    @BindToRegistry("json")
    public ObjectMapper json() {
        return new ObjectMapper();
    }

    @BeanInject("settings")
    Settings settings;

    /** The embeddings client every route that embeds shares (one bound on requests in flight for all). */
    @BindToRegistry(value = "embeddingsClient", beanPostProcess = true)
    public synchronized EmbeddingsClient embeddingsClient(CamelContext camel) {
        if (embeddingsClient == null) {
            var config = EmbeddingsConfig.from(settings);
            LoggerFactory.getLogger(BatchImageBeans.class).info("embeddings: {}", config);
            embeddingsClient = new EmbeddingsClient(camel, config);
        }
        return embeddingsClient;
    }

    private EmbeddingsClient embeddingsClient;

    @BindToRegistry("importer")
    public Importer importer() {
        return new Importer(dataSource, new ObjectMapper(), Path.of(dataDir).resolve("error"), defaultTheme, progressSeconds);
    }
}
