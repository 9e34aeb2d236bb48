package batchimage.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import batchimage.app.BatchImage;
import batchimage.tooling.RoutesSchema.Problem;
import batchimage.support.TestLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A routes file that Camel's YAML DSL schema refuses is reported by file, line, column and path, before Camel loads it. */
class RoutesSchemaTest {

    private static List<Problem> check(String yaml) {
        return RoutesSchema.camel().check("sample.camel.yaml", yaml);
    }

    /** A route whose {@code from:} has the given steps, one a line from line 6, indented as in routes/ (a step's dash in column 9). */
    private static String route(String... steps) {
        var yaml = new StringBuilder("- route:\n    id: sample\n    from:\n      uri: direct:sample\n      steps:\n");
        for (String step : steps) {
            yaml.append("        ").append(step).append('\n');
        }
        return yaml.toString();
    }

    @Test
    void anUnknownKeyUnderAStepIsReportedAtTheKey() {
        List<Problem> problems = check(route("- log: hello", "- tos: direct:next"));
        assertThat(problems).containsExactly(new Problem("sample.camel.yaml", 7, 11, "$[0].route.from.steps[1]",
                "property 'tos' is not defined in the schema and the schema does not allow additional properties"));
        assertThat(problems.get(0)).hasToString("sample.camel.yaml:7:11: $[0].route.from.steps[1]: property 'tos' is not defined"
                + " in the schema and the schema does not allow additional properties");
    }

    @Test
    void stepsBesideFromInsteadOfInsideItAreReportedWhereTheyAreAndWhereTheyAreMissing() {
        // steps: two spaces to the left, beside from: under route:
        List<Problem> problems = check(route("- to: direct:next").replace("\n      steps:", "\n    steps:"));
        assertThat(problems).extracting(Problem::line, Problem::column, Problem::path, Problem::message).containsExactly(
                tuple(3, 5, "$[0].route.from", "required property 'steps' not found"),
                tuple(5, 5, "$[0].route",
                        "property 'steps' is not defined in the schema and the schema does not allow additional properties"));
    }

    @Test
    void aStringWhereAListGoesIsReportedAtItsKey() {
        List<Problem> problems = check(route("- split:", "    simple: ${body}", "    steps: direct:each"));
        assertThat(problems).containsExactly(new Problem("sample.camel.yaml", 8, 13, "$[0].route.from.steps[0].split.steps",
                "string found, array expected"));
    }

    @Test
    void yamlThatDoesNotParseIsReportedWhereTheParserStopped() {
        // steps: one space to the left, neither under from: nor beside it
        List<Problem> problems = check(route("- to: direct:next").replace("\n      steps:", "\n     steps:"));
        assertThat(problems).hasSize(1);
        Problem p = problems.get(0);
        assertThat(p.file()).isEqualTo("sample.camel.yaml");
        assertThat(p.line()).isEqualTo(5);
        assertThat(p.column()).isEqualTo(6);
        assertThat(p.message()).startsWith("not YAML: expected <block end>, but found '<block mapping start>'")
                .contains("line 2, column 5");
    }

    @Test
    void aMisspelledOptionOfAStepInItsLongFormIsTheOneProblemReported() {
        // to: takes a string or a map: only the map's own mistake is worth telling, not that it is not a string
        List<Problem> problems = check(route("- to:", "    uri: direct:next", "    paramters:", "      a: 1"));
        assertThat(problems).containsExactly(new Problem("sample.camel.yaml", 8, 13, "$[0].route.from.steps[0].to",
                "property 'paramters' is not defined in the schema and the schema does not allow additional properties"));
    }

    @Test
    void placeholdersAndQuotedValuesAreTakenAsCamelTakesThemAndOtherTextIsNot() {
        // Camel converts the text of a typed option when the route starts; the schema alone would refuse "{{...}}"
        String route = """
                - route:
                    id: sample
                    autoStartup: %s
                    from:
                      uri: direct:sample
                      steps:
                        - split:
                            simple: ${body}
                            parallelProcessing: "true"
                            timeout: 5000
                            steps:
                              - to: direct:each
                """;
        assertThat(check(route.formatted("\"{{sample.enabled}}\""))).isEmpty();
        assertThat(check(route.formatted("\"false\""))).isEmpty();
        assertThat(check(route.formatted("sometimes"))).containsExactly(
                new Problem("sample.camel.yaml", 3, 5, "$[0].route.autoStartup", "string found, boolean expected"));
    }

    @Test
    void aFolderIsCheckedFileByFileAndTheReportNamesEachFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("good.camel.yaml"), Files.readString(TestLibrary.PROJECT.resolve("routes/dead-letters.camel.yaml")));
        Files.writeString(dir.resolve("bad.camel.yaml"), route("- tos: direct:x"));
        Files.writeString(dir.resolve("notes.yaml"), "not: [a routes file");
        Path bad = dir.resolve("bad.camel.yaml");

        assertThat(RoutesSchema.camel().check(dir)).extracting(Problem::file, Problem::line).containsExactly(
                tuple(bad.toString(), 6));
        assertThatThrownBy(() -> RoutesSchema.camel().requireValid(dir))
                .hasMessageStartingWith("Camel's YAML DSL schema finds 1 problem in " + dir + ":")
                .hasMessageContaining("\n  " + bad + ":6:11: $[0].route.from.steps[0]: property 'tos' is not defined");
        // the build's check: it fails the build, and passes on good routes
        assertThatThrownBy(() -> RoutesSchema.main(new String[] {dir.toString()})).hasMessageStartingWith("1 problem in the routes files");
        RoutesSchema.main(new String[] {TestLibrary.PROJECT.resolve("routes").toString()});
    }

    @Test
    void startUpRefusesRoutesThatDoNotMatchAndSaysWhere(@TempDir Path home) throws Exception {
        Path ingest = TestLibrary.copyProject(home).resolve("ingest.camel.yaml");
        String broken = Files.readString(ingest).replace("- to: direct:import-file", "- tos: direct:import-file");
        Files.writeString(ingest, broken);

        // checked before anything else: the database named here is never reached
        var settings = TestLibrary.settings(home, home.resolve("data"), "jdbc:postgresql://127.0.0.1:9/never", Map.of());
        assertThatThrownBy(() -> BatchImage.create(settings, BatchImage.Mode.SERVICE))
                .hasMessageContaining(ingest + ":" + where(broken, "tos: direct:import-file") + ": $[")
                .hasMessageContaining("property 'tos' is not defined");
    }

    /** line:column (1-based) of the first occurrence of text. */
    static String where(String content, String text) {
        int at = content.indexOf(text);
        assertThat(at).as(text).isNotNegative();
        int lineStart = content.lastIndexOf('\n', at - 1) + 1;
        return (content.substring(0, lineStart).chars().filter(c -> c == '\n').count() + 1) + ":" + (at - lineStart + 1);
    }
}
