package batchimage.http.server;

import batchimage.config.Settings;
import java.util.EnumMap;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.component.platform.http.main.DefaultMainHttpServerFactory;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainHttpServerFactory;

/**
 * The HTTP server Camel Main builds for {@code camel.server.enabled} (it takes the one bound in the registry):
 * {@link BatchImageHttpServer}, guarded by the API key, with the body limits and client deadlines of the
 * settings. The management endpoints ({@code /observe/*}) are Camel's, on the same server and port, so behind
 * the same guard.
 */
public final class HttpServerFactory implements MainHttpServerFactory {

    /**
     * What the server enforces: the key, each API's largest body, how long a client may take to send a request; and
     * where uploaded batch files go ({@link Uploads}: the inbox, null for none) and their largest size.
     */
    public record Options(ApiAccess access, Map<Surface, Long> maxBody, long idleMs, long readMs, java.nio.file.Path inbox, long maxUpload) {

        public Options(ApiAccess access, Map<Surface, Long> maxBody, long idleMs, long readMs) {
            this(access, maxBody, idleMs, readMs, null, 0);
        }

        public static Options from(Settings s) {
            var max = new EnumMap<Surface, Long>(Surface.class);
            for (Surface surface : Surface.values()) {
                max.put(surface, s.getLong(surface.maxBodySetting));
            }
            return new Options(ApiAccess.from(s), max, s.getLong("http.idle-timeout-ms"), s.getLong("http.read-timeout-ms"),
                    s.dataDir().resolve("inbox"), s.getLong("http.max-upload-bytes"));
        }
    }

    private final Options options;

    public HttpServerFactory(Options options) {
        this.options = options;
    }

    public static HttpServerFactory from(Settings settings) {
        return new HttpServerFactory(Options.from(settings));
    }

    @Override
    public Service newHttpServer(CamelContext camelContext, HttpServerConfigurationProperties configuration) {
        var server = new BatchImageHttpServer(options);
        server.setCamelContext(camelContext);
        server.setHost(configuration.getHost());
        server.setPort(configuration.getPort());
        server.setPath(configuration.getPath());
        return server;
    }

    @Override
    public Service newHttpManagementServer(CamelContext camelContext, HttpManagementServerConfigurationProperties configuration) {
        var camels = new DefaultMainHttpServerFactory();
        camels.setCamelContext(camelContext);
        return camels.newHttpManagementServer(camelContext, configuration);
    }
}
