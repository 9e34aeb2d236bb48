package batchimage.vectors.local;

import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import batchimage.http.server.UnknownPaths;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;

/**
 * Serves, beside the data plane of {@link LocalPineconeRoutes} (add this builder after it), what Pinecone's SDKs
 * ask of {@code /pinecone} besides: the control plane's {@code /indexes} and the namespace operations, then a
 * JSON answer for every other path under {@code /pinecone} (404, or 405 for a known path and another method).
 */
public final class PineconeControlRoutes extends RouteBuilder {

    /** Control-plane paths: their errors take the control plane's shape, the others the data plane's rpcStatus. */
    private static final Pattern CONTROL = Pattern.compile("/pinecone/(indexes|collections|backups|restore-jobs)(/.*)?");

    private final PineconeControlPlane control;
    private final PineconeNamespaces namespaces;
    private final PineconeApi api;

    /** {@code indexName}: the name the local index answers to (pinecone.index). */
    public PineconeControlRoutes(LocalPinecone index, PineconeApi api, String indexName) {
        this.control = new PineconeControlPlane(index, indexName);
        this.namespaces = new PineconeNamespaces(index, api);
        this.api = api;
    }

    @Override
    public void configure() {
        from("platform-http:/pinecone/indexes?httpMethodRestrict=GET,POST&populateBodyWithForm=false").routeId("pinecone-indexes")
                .process(ex -> (get(ex) ? control.list(base(ex)) : control.create(HttpRequests.jsonBody(ex))).send(ex));
        from("platform-http:/pinecone/indexes/{name}?httpMethodRestrict=GET,DELETE,PATCH&populateBodyWithForm=false")
                .routeId("pinecone-index")
                .process(ex -> {
                    String name = ex.getMessage().getHeader("name", String.class);
                    String method = method(ex);
                    (method.equals("GET") ? control.describe(name, base(ex))
                            : method.equals("DELETE") ? control.delete(name) : control.configure(name)).send(ex);
                });
        from("platform-http:/pinecone/namespaces?httpMethodRestrict=GET,POST&populateBodyWithForm=false").routeId("pinecone-namespaces")
                .process(ex -> {
                    Map<String, List<String>> q = HttpRequests.query(ex);
                    (get(ex) ? namespaces.list(HttpRequests.first(q, "prefix"), HttpRequests.first(q, "limit"),
                            HttpRequests.first(q, "paginationToken")) : namespaces.create()).send(ex);
                });
        from("platform-http:/pinecone/namespaces/{namespace}?httpMethodRestrict=GET,DELETE").routeId("pinecone-namespace")
                .process(ex -> {
                    String ns = ex.getMessage().getHeader("namespace", String.class);
                    (get(ex) ? namespaces.describe(ns) : namespaces.delete(ns)).send(ex);
                });
        UnknownPaths.answer(this, "/pinecone", "pinecone-unknown", this::unknown);
    }

    private JsonAnswer unknown(String method, String path, String allowed) {
        String what = method + " " + path;
        if (CONTROL.matcher(path).matches()) {
            return allowed == null
                    ? PineconeControlPlane.error(404, "NOT_FOUND", "Not found: batch-image's control plane has no " + what)
                    : PineconeControlPlane.error(405, "UNIMPLEMENTED", "Method not allowed: " + what + " (this path answers " + allowed + ")");
        }
        // grpc-gateway's answers: 404 NOT_FOUND (5), 405 UNIMPLEMENTED (12)
        return allowed == null ? api.error(404, 5, "Not Found: batch-image's local Pinecone has no " + what)
                : api.error(405, 12, "Method Not Allowed: " + what + " (this path answers " + allowed + ")");
    }

    private static String method(Exchange ex) {
        return ex.getMessage().getHeader(Exchange.HTTP_METHOD, "GET", String.class);
    }

    private static boolean get(Exchange ex) {
        return method(ex).equals("GET");
    }

    /** This service as the client reached it (its Host header), which is where an SDK can reach the data plane too. */
    private String base(Exchange ex) {
        String host = ex.getMessage().getHeader("Host", String.class);
        if (host == null || host.isBlank()) {
            String url = ex.getMessage().getHeader(Exchange.HTTP_URL, String.class);
            return url.substring(0, url.indexOf('/', url.indexOf("//") + 2));
        }
        return "http://" + host;
    }
}
