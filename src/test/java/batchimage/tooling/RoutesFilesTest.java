package batchimage.tooling;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.support.TestLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;

/** The check of routes/: every YAML file matches Camel's YAML DSL schema, parses with Camel's YAML DSL and names its routes. */
class RoutesFilesTest {

    private static final Path ROUTES = TestLibrary.PROJECT.resolve("routes");

    @Test
    void everyRoutesFileMatchesCamelsSchema() throws Exception {
        assertThat(RoutesSchema.routesFiles(ROUTES)).isNotEmpty();
        assertThat(RoutesSchema.camel().check(ROUTES)).isEmpty();
    }

    @Test
    void everyRoutesFileParsesAndNamesItsRoutesAndConfigurations() throws Exception {
        List<Path> files = RoutesSchema.routesFiles(ROUTES);
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            try (var ctx = new DefaultCamelContext(false)) {
                ctx.build();
                PluginHelper.getRoutesLoader(ctx).loadRoutes(ResourceHelper.fromString("file:" + f, Files.readString(f)));
                List<RouteDefinition> routes = ((ModelCamelContext) ctx).getRouteDefinitions();
                var configurations = ((ModelCamelContext) ctx).getRouteConfigurationDefinitions();
                // a file holds routes, or (errors.camel.yaml) the route configurations the others opt into
                assertThat(routes.size() + configurations.size()).as(f.getFileName().toString()).isPositive();
                assertThat(configurations).allSatisfy(c -> assertThat(c.getId()).as("a route configuration in " + f.getFileName()).isNotBlank());
                assertThat(routes).allSatisfy(r -> assertThat(r.hasCustomIdAssigned()).as("route from " + r.getInput().getEndpointUri() + " in " + f.getFileName()).isTrue());
            }
        }
    }
}
