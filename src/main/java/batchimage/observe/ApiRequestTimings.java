package batchimage.observe;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;

/**
 * Times every request of the REST API routes (ids {@code api-*}, the verbs of routes/api.camel.yaml) into
 * {@link RequestMetrics}: one route policy per API route, bound in the registry so that Camel Main applies it to the
 * routes as they are built. A path that answers GET and POST has one route per verb; the POST's id ends in
 * {@code -post} ({@code api-search-post}) and is counted under the path's id ({@code api-search}), the method
 * label telling them apart, as when one route served both.
 */
public final class ApiRequestTimings implements RoutePolicyFactory {

    private static final String STARTED_AT = "batchImageApiStarted";
    private static final String ASKED_METHOD = "batchImageApiMethod";

    private final RequestMetrics metrics;

    public ApiRequestTimings(RequestMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        return routeId != null && routeId.startsWith("api-") ? new Timing() : null;
    }

    /** The route label of an API route: its id, less the {@code -post} of a POST whose path also answers GET. */
    static String operation(String routeId) {
        return routeId.endsWith(POST) ? routeId.substring(0, routeId.length() - POST.length()) : routeId;
    }

    private static final String POST = "-post";

    private final class Timing extends RoutePolicySupport {

        @Override
        public void onExchangeBegin(Route route, Exchange exchange) {
            exchange.setProperty(STARTED_AT, System.nanoTime());
            // as asked: a route may drop the HTTP headers before it answers
            exchange.setProperty(ASKED_METHOD, exchange.getMessage().getHeader(Exchange.HTTP_METHOD, "GET", String.class));
        }

        @Override
        public void onExchangeDone(Route route, Exchange exchange) {
            Long started = exchange.getProperty(STARTED_AT, Long.class);
            if (started == null) {
                return;
            }
            Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
            String method = exchange.getProperty(ASKED_METHOD, "GET", String.class);
            metrics.apiRequest(operation(route.getRouteId()), method, status != null ? status : exchange.isFailed() ? 500 : 200, System.nanoTime() - started);
        }
    }
}
