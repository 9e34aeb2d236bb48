package batchimage.tooling;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteConfigurationDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code run --reload}: watches routes/ and applies an edited YAML file without a restart. Unlike
 * Camel's own reload, an edit that does not match Camel's YAML DSL schema, does not parse or whose routes
 * do not start leaves the routes that were running: the file is checked against the schema and then in a
 * scratch context first, and the last good version is put back if the new one fails to start.
 */
public final class RouteReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RouteReloader.class);

    private final CamelContext context;
    private final Path dir;
    private final Map<Path, String> lastGood = new HashMap<>();
    private WatchService watcher;
    private Thread thread;

    public RouteReloader(CamelContext context, Path dir) {
        this.context = context;
        this.dir = dir;
    }

    /** Outcome of applying one file. */
    public record Outcome(boolean applied, Set<String> routeIds, String error) {
    }

    public void start() {
        try {
            for (Path p : RoutesSchema.routesFiles(dir)) {
                lastGood.put(p.toAbsolutePath(), Files.readString(p, StandardCharsets.UTF_8));
            }
            watcher = FileSystems.getDefault().newWatchService();
            dir.register(watcher, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot watch " + dir + " for route changes: " + e.getMessage(), e);
        }
        thread = new Thread(this::watch, "route-reloader");
        thread.setDaemon(true);
        thread.start();
        LOG.info("watching {} for route changes: a saved *.camel.yaml is checked and applied without a restart", dir);
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                var changed = new LinkedHashSet<Path>();
                collect(key, changed);
                // editors save in several steps: let them finish before reading
                WatchKey more;
                while ((more = watcher.poll(300, TimeUnit.MILLISECONDS)) != null) {
                    collect(more, changed);
                }
                for (Path p : changed) {
                    if (Files.isRegularFile(p)) {
                        apply(p);
                    }
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void collect(WatchKey key, Set<Path> changed) {
        for (var event : key.pollEvents()) {
            if (event.context() instanceof Path name && name.toString().endsWith(RoutesSchema.SUFFIX)) {
                changed.add(dir.resolve(name).toAbsolutePath());
            }
        }
        key.reset();
    }

    /** Checks and applies one routes file; on any failure the running routes stay as they were. */
    public synchronized Outcome apply(Path file) {
        Path abs = file.toAbsolutePath();
        String content;
        try {
            content = Files.readString(abs, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return rejected(abs, "cannot read it: " + e.getMessage());
        }
        if (content.equals(lastGood.get(abs))) {
            return new Outcome(false, Set.of(), null);
        }
        List<RoutesSchema.Problem> problems = RoutesSchema.camel().check(abs.toString(), content);
        if (!problems.isEmpty()) {
            return rejected(abs, RoutesSchema.report(abs, problems));
        }
        String location = "file:" + abs;
        Parsed parsed;
        try {
            parsed = check(location, content);
        } catch (Exception e) {
            return rejected(abs, rootMessage(e));
        }
        Set<String> newIds = parsed.routeIds();
        String previous = lastGood.get(abs);
        Set<String> oldIds = routesFrom(location);
        try {
            replace(oldIds, parsed, location, content);
        } catch (Exception e) {
            String why = rootMessage(e);
            if (previous != null) {
                try {
                    replace(routesFrom(location), check(location, previous), location, previous);
                } catch (Exception restore) {
                    LOG.error("could not put back the previous {}: {}", abs.getFileName(), rootMessage(restore));
                }
            }
            return rejected(abs, why);
        }
        lastGood.put(abs, content);
        LOG.info("reloaded {}: routes {} now running", abs.getFileName(), newIds);
        return new Outcome(true, newIds, null);
    }

    private Outcome rejected(Path file, String why) {
        LOG.error("{} was not applied, the running routes are unchanged: {}", file.getFileName(), why);
        return new Outcome(false, Set.of(), why);
    }

    /** Parses the file in a scratch context that is never started, and checks every route has an id. */
    private Parsed check(String location, String content) throws Exception {
        try (var scratch = new DefaultCamelContext(false)) {
            scratch.build();
            Resource resource = ResourceHelper.fromString(location, content);
            PluginHelper.getRoutesLoader(scratch).loadRoutes(resource);
            var ids = new LinkedHashSet<String>();
            List<RouteDefinition> defs = ((ModelCamelContext) scratch).getRouteDefinitions();
            for (RouteDefinition d : defs) {
                if (d.getRouteId() == null || d.getRouteId().isBlank() || !d.hasCustomIdAssigned()) {
                    throw new IllegalArgumentException("every route needs an explicit id (route from "
                            + d.getInput().getEndpointUri() + " has none)");
                }
                ids.add(d.getRouteId());
            }
            var configs = new LinkedHashSet<String>();
            for (RouteConfigurationDefinition c : ((ModelCamelContext) scratch).getRouteConfigurationDefinitions()) {
                configs.add(c.getId());
            }
            return new Parsed(ids, configs);
        }
    }

    private record Parsed(Set<String> routeIds, Set<String> configurationIds) {
    }

    private Set<String> routesFrom(String location) {
        var ids = new LinkedHashSet<String>();
        for (Route r : context.getRoutes()) {
            Resource src = r.getSourceResource();
            if (src != null && location.equals(src.getLocation())) {
                ids.add(r.getRouteId());
            }
        }
        return ids;
    }

    private void replace(Set<String> oldIds, Parsed parsed, String location, String content) throws Exception {
        var remove = new ArrayList<String>(oldIds);
        for (String id : parsed.routeIds()) {
            if (!remove.contains(id) && context.getRoute(id) != null) {
                remove.add(id);
            }
        }
        for (String id : remove) {
            context.getRouteController().stopRoute(id);
            context.removeRoute(id);
        }
        var model = (ModelCamelContext) context;
        for (String id : parsed.configurationIds()) {
            RouteConfigurationDefinition existing = model.getRouteConfigurationDefinition(id);
            if (existing != null) {
                model.removeRouteConfiguration(existing);
            }
        }
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString(location, content));
    }

    private static String rootMessage(Throwable e) {
        var sb = new StringBuilder(String.valueOf(e.getMessage()));
        Throwable t = e.getCause();
        while (t != null && t != t.getCause()) {
            if (t.getMessage() != null && !sb.toString().contains(t.getMessage())) {
                sb.append(": ").append(t.getMessage());
            }
            t = t.getCause();
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.interrupt();
        }
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                LOG.debug("closing the route watcher: {}", e.toString());
            }
        }
    }
}
