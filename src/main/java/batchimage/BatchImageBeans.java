package batchimage;

import batchimage.ingest.Importer;
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

    @BindToRegistry("importer")
    public Importer importer() {
        return new Importer(dataSource, new ObjectMapper(), Path.of(dataDir).resolve("error"), defaultTheme, progressSeconds);
    }
}
