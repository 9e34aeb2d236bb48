package batchimage.http.server;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;

/**
 * Camel's Vert.x HTTP server with the guard in front of every route, the bodies read within their limits, and
 * the deadlines of slow clients. Camel's server builds the router; this one puts {@link HttpGuard} first in it,
 * gives the routes {@link BodyLimits} as their body handler, and listens itself, so that it sees every
 * connection as it opens.
 */
final class GuardedHttpServer extends VertxPlatformHttpServer {

    private final VertxPlatformHttpServerConfiguration configuration;
    private final HttpServerFactory.Options options;
    private VertxPlatformHttpRouter router;
    private RequestDeadlines deadlines;
    private int maxFormAttributeSize;
    private boolean ownVertx;
    private volatile HttpServer http;

    GuardedHttpServer(VertxPlatformHttpServerConfiguration configuration, HttpServerFactory.Options options) {
        super(configuration);
        this.configuration = configuration;
        this.options = options;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        if (getVertx() == null) {
            // made here rather than by Camel's server, which can close the Vert.x it made only when it listened itself
            setVertx(createVertxInstance());
            ownVertx = true;
        }
    }

    @Override
    protected void initializeServer() {
        super.initializeServer();
        // the router Camel bound for this port, bound again with the body handler its routes take
        String name = VertxPlatformHttpRouter.getRouterNameFromPort(configuration.getPort());
        VertxPlatformHttpRouter camels = VertxPlatformHttpRouter.lookup(getCamelContext(), name);
        Uploads uploads = options.inbox() == null ? null : new Uploads(options.inbox(), options.maxUpload(), options.readMs());
        if (uploads != null) {
            uploads.clean();
            // the route of POST /api/imports (api/ImportsApi) takes what was received from here
            getCamelContext().getRegistry().bind("uploads", uploads);
        }
        BodyLimits bodies = new BodyLimits(options.maxBody(), uploads, getVertx());
        router = new VertxPlatformHttpRouter(this, getVertx(), camels, name, configuration.getServerType()) {
            @Override
            public Handler<RoutingContext> bodyHandler() {
                return bodies;
            }
        };
        getCamelContext().getRegistry().unbind(name);
        getCamelContext().getRegistry().bind(name, router);
        deadlines = new RequestDeadlines(getVertx(), options.idleMs(), options.readMs());
        router.route().order(Integer.MIN_VALUE).handler(new HttpGuard(options.access(), deadlines));
        router.errorHandler(413, bodies::tooLarge);
        // a request whose client went away (or was cut off) while its body came fails so: nothing is left to answer
        router.route().order(Integer.MIN_VALUE).failureHandler(ctx -> {
            if (!(ctx.failure() instanceof HttpClosedException)) {
                ctx.next();
            }
        });
        maxFormAttributeSize = (int) Math.min(Integer.MAX_VALUE, bodies.largest());
    }

    @Override
    protected void startServer() throws Exception {
        // a JSON body sent as a form (curl -d) is one form attribute: it may be as large as a body. No HTTP/2 in clear
        // text: its detection holds a connection back from the connection handler until a whole request head came,
        // and a client that sends none would never be timed
        var serverOptions = new HttpServerOptions().setMaxFormAttributeSize(maxFormAttributeSize).setHttp2ClearTextEnabled(false);
        HttpServer server = getVertx().createHttpServer(serverOptions).connectionHandler(deadlines::opened).requestHandler(router);
        try {
            http = server.listen(configuration.getBindPort(), configuration.getBindHost()).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot listen on " + configuration.getBindHost() + ":" + configuration.getBindPort() + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    protected void stopServer() {
        HttpServer server = http;
        if (server == null) {
            return;
        }
        http = null;
        // as Camel's server does: the routes of a restarted context find a new component
        getCamelContext().removeComponent(PlatformHttpConstants.PLATFORM_HTTP_COMPONENT_NAME);
        try {
            server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot close the HTTP server: " + e.getMessage(), e);
        }
    }

    @Override
    protected void stopVertx() {
        Vertx vertx = getVertx();
        if (vertx == null || !ownVertx) {
            return;
        }
        ownVertx = false;
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot close Vert.x: " + e.getMessage(), e);
        }
    }

    @Override
    public HttpServer getServer() {
        return http;
    }

    @Override
    public int getPort() {
        HttpServer server = http;
        return server != null ? server.actualPort() : configuration.getBindPort();
    }
}
