package batchimage.http.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.HttpEndpointModel;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.component.platform.http.main.MainHttpServer;
import org.apache.camel.StartupListener;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel Main's HTTP server (camel.server.*) on a {@link GuardedHttpServer}. Its summary of the endpoints at start
 * gives the address the server listens on (Camel's own says http://0.0.0.0 whatever the bind address), and warns
 * when the service listens where other machines reach it without a key.
 */
final class BatchImageHttpServer extends MainHttpServer {

    private static final Logger LOG = LoggerFactory.getLogger(BatchImageHttpServer.class);

    /** What a path prefix gives to whoever reaches it, for the warning. */
    private static final Map<String, String> EXPOSED = exposed();

    private final HttpServerFactory.Options options;
    private GuardedHttpServer server;

    BatchImageHttpServer(HttpServerFactory.Options options) {
        this.options = options;
    }

    private static Map<String, String> exposed() {
        var m = new LinkedHashMap<String, String>();
        m.put("/api/", "/api/* (search, records and their images, delete, reindex, enrich, dead letters)");
        m.put("/api-doc", "/api-doc");
        m.put("/pinecone/", "/pinecone/* (the whole vector index: read, overwrite, delete everything)");
        m.put("/v1/", "/v1/* (the embedding model)");
        m.put("/observe/metrics", "/observe/metrics");
        return m;
    }

    @Override
    protected void doInit() throws Exception {
        server = new GuardedHttpServer(getConfiguration(), options);
        // the context starts and stops it, as Camel's own server
        getCamelContext().addService(server);
    }

    /** {@code http://host:port} as the server listens. */
    String address() {
        String host = getHost();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + (server != null ? server.getPort() : getPort());
    }

    @Override
    protected void setupStartupSummary() throws Exception {
        CamelContext camel = getCamelContext();
        PlatformHttpComponent http = camel.getComponent("platform-http", PlatformHttpComponent.class);
        var summary = new Summary(http);
        // as Camel's own summary: once started, and again after routes are reloaded
        camel.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                if (alreadyStarted) {
                    summary.log();
                }
                context.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
                    @Override
                    public boolean isEnabled(CamelEvent event) {
                        return event instanceof CamelEvent.CamelContextStartedEvent || event instanceof CamelEvent.RouteReloadedEvent;
                    }

                    @Override
                    public void notify(CamelEvent event) {
                        if (!(event instanceof CamelEvent.RouteReloadedEvent re) || re.getIndex() >= re.getTotal()) {
                            summary.log();
                        }
                    }
                });
            }
        });
    }

    /** The endpoints, logged when they changed. */
    private final class Summary {
        private final PlatformHttpComponent http;
        private Set<String> last;

        Summary(PlatformHttpComponent http) {
            this.http = http;
        }

        synchronized void log() {
            var endpoints = new TreeSet<String>();
            // the component keeps one endpoint a path: the REST API's verbs of one path are gathered from the REST registry
            var restVerbs = restVerbs();
            for (HttpEndpointModel e : http.getHttpEndpoints()) {
                var verbs = restVerbs.get(e.getUri());
                endpoints.add(verbs == null ? line(e) : e.getUri() + " (" + String.join(",", verbs) + ")");
            }
            for (HttpEndpointModel e : http.getHttpManagementEndpoints()) {
                endpoints.add(line(e));
            }
            if (endpoints.isEmpty() || endpoints.equals(last)) {
                return;
            }
            last = endpoints;
            String address = address();
            LOG.info("HTTP endpoints on {}", address);
            for (String e : endpoints) {
                LOG.info("    {}{}", address, e);
            }
            warnIfOpen(endpoints);
        }
    }

    /** The methods of each path of the REST API (routes/api.camel.yaml), in the order GET, HEAD, POST, PUT, PATCH, DELETE. */
    private Map<String, Set<String>> restVerbs() {
        var out = new LinkedHashMap<String, Set<String>>();
        for (var service : PluginHelper.getRestRegistry(getCamelContext()).listAllRestServices()) {
            String path = service.getBasePath() + (service.getUriTemplate() == null ? "" : service.getUriTemplate());
            out.computeIfAbsent(path, p -> new TreeSet<>(Comparator.comparingInt(BatchImageHttpServer::methodOrder)))
                    .add(service.getMethod().toUpperCase(Locale.ROOT));
        }
        return out;
    }

    private static int methodOrder(String method) {
        int i = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE").indexOf(method);
        return i < 0 ? Integer.MAX_VALUE : i;
    }

    private static String line(HttpEndpointModel e) {
        return e.getUri() + (e.getVerbs() == null ? "" : " (" + e.getVerbs() + ")");
    }

    /** A WARN naming what anyone who reaches the service may use, when no key guards it and other machines reach it. */
    private void warnIfOpen(Set<String> endpoints) {
        if (!options.access().open() || !reachableFromOtherMachines(getHost())) {
            return;
        }
        var what = new ArrayList<String>();
        EXPOSED.forEach((prefix, description) -> {
            if (endpoints.stream().anyMatch(e -> e.startsWith(prefix))) {
                what.add(description);
            }
        });
        LOG.warn("BATCH_IMAGE_API_KEY is not set and the service listens on {}, which other machines reach: anyone there may use {}."
                + " Set BATCH_IMAGE_API_KEY (docs/OPERATIONS.md, Security), or BATCH_IMAGE_HOST=127.0.0.1", address(), String.join(", ", what));
    }

    /** Whether a bind address is reachable from other machines: a wildcard or any address that is not loopback. */
    static boolean reachableFromOtherMachines(String host) {
        try {
            return !InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return true;
        }
    }
}
