package batchimage.http.server;

import batchimage.http.JsonAnswer;

import java.util.TreeSet;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.platform.http.HttpEndpointModel;
import org.apache.camel.component.platform.http.PlatformHttpComponent;

/**
 * Answers what no route under a prefix answers (an unknown path: 404; a known path asked with another method:
 * 405) in that API's own JSON error shape, instead of the HTTP server's HTML page, so that an SDK shows the
 * message. Its route goes after the prefix's routes: the server tries routes in the order they started.
 */
public final class UnknownPaths {

    /** An API's error for a request it has no route for; {@code allowed}: the methods the path answers (405), else null (404). */
    @FunctionalInterface
    public interface Shape {
        JsonAnswer answer(String method, String path, String allowed);
    }

    private UnknownPaths() {
    }

    /** Adds the route to {@code routes}, as its last; {@code prefix}: such as /v1 or /pinecone. */
    public static void answer(RouteBuilder routes, String prefix, String routeId, Shape shape) {
        routes.from("platform-http:" + prefix + "/*?populateBodyWithForm=false").routeId(routeId)
                .process(ex -> {
                    String method = ex.getMessage().getHeader(Exchange.HTTP_METHOD, String.class);
                    String path = ex.getMessage().getHeader(Exchange.HTTP_PATH, String.class);
                    shape.answer(method, path, allowed(ex, path)).send(ex);
                });
    }

    /** The methods of the routes whose path template matches {@code path}, comma-separated; null when none does. */
    private static String allowed(Exchange ex, String path) {
        var verbs = new TreeSet<String>();
        boolean known = false;
        for (HttpEndpointModel e : ex.getContext().getComponent("platform-http", PlatformHttpComponent.class).getHttpEndpoints()) {
            if (!e.getUri().endsWith("*") && matches(e.getUri(), path)) {
                known = true;
                if (e.getVerbs() != null) {
                    verbs.addAll(java.util.List.of(e.getVerbs().split(",")));
                }
            }
        }
        return known ? String.join(", ", verbs) : null;
    }

    /** Whether a path fits a template such as /pinecone/namespaces/{namespace} (a {name} is one segment). */
    static boolean matches(String template, String path) {
        String[] t = template.split("/", -1);
        String[] p = path.split("/", -1);
        if (t.length != p.length) {
            return false;
        }
        for (int i = 0; i < t.length; i++) {
            boolean param = t[i].startsWith("{") && t[i].endsWith("}");
            if (param ? p[i].isEmpty() : !t[i].equals(p[i])) {
                return false;
            }
        }
        return true;
    }
}
