package batchimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.cli.Application;
import batchimage.support.TestLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code batch-image import} as a user runs it, with no DATABASE_URL: the embedded PostgreSQL in
 * {@code <data>/postgres}, kept between runs.
 */
class ImportCommandTest {

    @TempDir
    Path work;

    private record Run(int exit, JsonNode json, String err) {
    }

    private Run run(String... args) throws Exception {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Application.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString().isBlank() ? null : new ObjectMapper().readTree(out.toString()), err.toString());
    }

    @Test
    void importsWithTheEmbeddedDatabaseKeepsItBetweenRunsAndLeavesFilesInPlace() throws Exception {
        Path input = TestLibrary.copyShared("coco/batch_image_data_coco_final.json", work.resolve("in"));
        TestLibrary.copyShared("malformed/batch_image_data_mixed_final.json", work.resolve("in"));
        Path data = work.resolve("data");

        Run first = run("import", "--json", "--no-index", "--data", data.toString(), work.resolve("in").toString());
        assertThat(first.exit()).as(first.err()).isZero();
        JsonNode files = first.json().get("files");
        assertThat(files).hasSize(2);
        JsonNode coco = files.get(0);
        assertThat(coco.get("file").asText()).isEqualTo("batch_image_data_coco_final.json");
        assertThat(coco.get("outcome").asText()).isEqualTo("done");
        assertThat(coco.get("read").asLong()).isEqualTo(5000);
        assertThat(coco.get("inserted").asLong()).isEqualTo(5000);
        JsonNode mixed = files.get(1);
        assertThat(mixed.get("rejected").asLong()).isGreaterThanOrEqualTo(4);
        assertThat(mixed.get("read").asLong()).isEqualTo(mixed.get("inserted").asLong() + mixed.get("rejected").asLong()
                + mixed.get("superseded").asLong() + mixed.get("updated").asLong() + mixed.get("unchanged").asLong());
        assertThat(input).exists();
        assertThat(data.resolve("done")).isEmptyDirectory();
        assertThat(data.resolve("postgres").resolve("PG_VERSION")).exists();

        // without --no-index the import indexes what it stored, and waits for it
        Run second = run("import", "--json", "--data", data.toString(), input.toString());
        assertThat(second.exit()).as(second.err()).isZero();
        JsonNode again = second.json().get("files").get(0);
        assertThat(again.get("unchanged").asLong()).isEqualTo(5000);
        assertThat(again.get("inserted").asLong()).isZero();
        assertThat(again.get("embedded").get("prompt").asLong()).isEqualTo(5000);
        assertThat(again.get("upserted").get("prompt").asLong()).isEqualTo(5000);
        assertThat(again.get("upserted").get("description").asLong()).isEqualTo(5000);
        assertThat(second.json().get("indexed").get("indexed").asLong()).isEqualTo(5000);
        assertThat(second.err()).contains("indexing:");

        // an unchanged re-import embeds nothing
        Run third = run("import", "--json", "--data", data.toString(), input.toString());
        assertThat(third.exit()).isZero();
        assertThat(third.json().get("files").get(0).get("embedded").get("prompt").asLong()).isZero();
        assertThat(third.json().get("files").get(0).get("embedded").get("description").asLong()).isZero();
        assertThat(Files.isDirectory(data.resolve("index").resolve("prompt"))).isTrue();
    }

    @Test
    void aSearchInItsOwnProcessAfterAnImportFindsTheWordsOfWhatWasImported() throws Exception {
        Path data = work.resolve("data");
        Run imported = run("import", "--json", "--data", data.toString(), Path.of("docs/examples/batch_image_data_tour_final.json").toString());
        assertThat(imported.exit()).as(imported.err()).isZero();
        String nobody = "http://127.0.0.1:9";
        // no service: the search opens the data folder itself, and its index of words takes the library in first
        Run lexical = run("search", "cat laptop", "--mode", "lexical", "--json", "--data", data.toString(), "--url", nobody);
        assertThat(lexical.exit()).as(lexical.err()).isZero();
        assertThat(lexical.err()).contains("in this process");
        assertThat(lexical.json().path("matches")).as("%s %s", lexical.json(), lexical.err()).isNotEmpty();
        JsonNode first = lexical.json().path("matches").get(0);
        assertThat(first.path("metadata").path("name").asText()).isEqualTo("cat_laptop");
        assertThat(first.path("ranks").path("lexical").asInt()).isEqualTo(1);
        Run hybrid = run("search", "a cat sleeping on a computer", "--json", "--data", data.toString(), "--url", nobody);
        assertThat(hybrid.exit()).as(hybrid.err()).isZero();
        assertThat(hybrid.json().path("mode").asText()).isEqualTo("hybrid");
        JsonNode best = hybrid.json().path("matches").get(0);
        assertThat(best.path("metadata").path("name").asText()).isEqualTo("cat_laptop");
        assertThat(best.path("ranks").has("lexical")).as("%s", best).isTrue();
    }

    @Test
    void exitsNonZeroWhenAFileCannotBeImportedAndSaysWhereTheReportIs() throws Exception {
        Path broken = TestLibrary.copyShared("malformed/batch_image_data_truncated_final.json", work.resolve("in"));
        Path data = work.resolve("data");
        Run run = run("import", "--json", "--data", data.toString(), broken.toString());
        assertThat(run.exit()).isEqualTo(1);
        JsonNode f = run.json().get("files").get(0);
        assertThat(f.get("outcome").asText()).isEqualTo("error");
        assertThat(f.get("error").asText()).contains("ends in the middle of a record", "line 1");
        assertThat(Path.of(f.get("report").asText())).exists().hasParent(data.resolve("error"));
        assertThat(broken).exists();
    }

    @Test
    void aMissingPathIsAUsageError() throws Exception {
        Run run = run("import", "--data", work.resolve("data").toString(), work.resolve("nope.json").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("no such file or folder");
        assertThat(Files.exists(work.resolve("data"))).isFalse();
    }
}
