package batchimage.lineage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LineageReader} against every fixture of ../shared/data/generated-images and every field of its
 * expected.json, plus the no-metadata and failure results.
 */
class LineageReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode expected() throws IOException {
        return JSON.readTree(Fixtures.dir().resolve("expected.json").toFile());
    }

    private static List<Map.Entry<String, JsonNode>> entries() throws IOException {
        List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = expected().fields(); it.hasNext(); ) {
            entries.add(it.next());
        }
        return entries;
    }

    @Test
    void everyPngHasAnExpectation() throws IOException {
        List<String> pngs;
        try (Stream<Path> files = Files.list(Fixtures.dir())) {
            pngs = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).sorted().toList();
        }
        List<String> names = entries().stream().map(Map.Entry::getKey).sorted().toList();

        assertThat(pngs).hasSize(48).isEqualTo(names);
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureMatchesEveryExpectedField() throws IOException {
        return entries().stream().map(e -> DynamicTest.dynamicTest(e.getKey() + " (" + e.getValue().path("kind")
                .asText() + ")", () -> check(e.getKey(), e.getValue())));
    }

    private static void check(String name, JsonNode want) {
        Path file = Fixtures.dir().resolve(name);
        LineageReader.Result result = LineageReader.read(file);
        assertThat(result.source()).isEqualTo(file);
        if (want.path("generator").isNull()) {
            assertThat(result).isInstanceOf(LineageReader.NoMetadata.class);
            LineageReader.NoMetadata none = (LineageReader.NoMetadata) result;
            assertThat(none.width()).as("width").isEqualTo(want.path("width").asInt());
            assertThat(none.height()).as("height").isEqualTo(want.path("height").asInt());
            assertThat(want.path("prompt").isNull()).isTrue();
            return;
        }
        assertThat(result).isInstanceOf(LineageReader.Found.class);
        Lineage l = result.lineage().orElseThrow();
        assertFields(l, want, true);
        assertThat(l.source()).isEqualTo(file.toString());
        assertThat(l.problems()).isEmpty();
    }

    /** Every field of expected.json (the size only when the lineage has one). */
    static void assertFields(Lineage l, JsonNode want, boolean size) {
        assertThat(l.generator()).as("generator").isEqualTo(text(want, "generator"));
        assertThat(l.prompt()).as("prompt").isEqualTo(text(want, "prompt"));
        assertThat(l.negativePrompt()).as("negative_prompt").isEqualTo(text(want, "negative_prompt"));
        assertThat(l.seed()).as("seed").isEqualTo(want.path("seed").isNull() ? null : want.path("seed").asLong());
        assertThat(l.steps()).as("steps").isEqualTo(want.path("steps").isNull() ? null : want.path("steps").asInt());
        assertThat(l.cfg()).as("cfg").isEqualTo(want.path("cfg").isNull() ? null : want.path("cfg").asDouble());
        assertThat(l.sampler()).as("sampler").isEqualTo(text(want, "sampler"));
        assertThat(l.scheduler()).as("scheduler").isEqualTo(text(want, "scheduler"));
        assertThat(l.model()).as("model").isEqualTo(text(want, "model"));
        List<Lineage.Lora> loras = new ArrayList<>();
        for (JsonNode lora : want.path("loras")) {
            loras.add(new Lineage.Lora(lora.path("name").asText(), lora.path("strength").isNull() ? null
                    : lora.path("strength").asDouble()));
        }
        assertThat(l.loras()).as("loras").isEqualTo(loras);
        if (size) {
            assertThat(l.width()).as("width").isEqualTo(want.path("width").asInt());
            assertThat(l.height()).as("height").isEqualTo(want.path("height").asInt());
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    @TestFactory
    Stream<DynamicTest> everyComfyFixtureReadsTheSameFromItsWorkflowAlone() throws IOException {
        return entries().stream().filter(e -> "comfyui".equals(text(e.getValue(), "generator")))
                .map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
                    PngChunks chunks = PngChunks.read(Fixtures.dir().resolve(e.getKey()));
                    Lineage fromWorkflow = ComfyWorkflow.parse(chunks.text("workflow").orElseThrow()).lineage();
                    assertFields(fromWorkflow, e.getValue(), false);
                }));
    }

    @Test
    void fixtureKindsAreAllThere() throws IOException {
        assertThat(entries().stream().map(e -> e.getValue().path("kind").asText()).distinct())
                .containsExactlyInAnyOrder("comfy", "comfy-lora", "comfy-ztxt", "a1111", "a1111-itxt", "none");
    }

    @Test
    void comfyLineageKeepsTheWorkflowTextAndGivesTheApiShape() throws IOException {
        Path file = Fixtures.dir().resolve("ComfyUI_00009_.png");
        Lineage l = LineageReader.read(file).lineage().orElseThrow();

        assertThat(l.workflow()).isEqualTo(PngChunks.read(file).text("workflow").orElseThrow());
        Map<String, Object> map = l.toMap();
        assertThat(map.keySet()).containsExactly("generator", "prompt", "negative_prompt", "seed", "steps", "cfg",
                "sampler", "scheduler", "model", "loras", "width", "height", "source");
        assertThat(map.get("loras")).isEqualTo(List.of(Map.of("name", "add_detail.safetensors", "strength", 0.8),
                Map.of("name", "film_grain_v2.safetensors", "strength", 0.5)));
        assertThat(map.get("source")).isEqualTo(file.toString());
    }

    @Test
    void toMapKeepsNulls() throws IOException {
        Path file = TestPng.of(3, 2).text("parameters", "only a prompt").idat(3, 2).iend().write(dir, "p.png");

        Map<String, Object> map = LineageReader.read(file).lineage().orElseThrow().toMap();

        assertThat(map).containsEntry("prompt", "only a prompt").containsEntry("seed", null)
                .containsEntry("scheduler", null).containsEntry("width", 3).containsEntry("height", 2)
                .containsKey("model");
        assertThat(map).hasSize(13);
    }

    @Test
    void pngWithoutGeneratorChunksIsNoMetadataWithItsSize() throws IOException {
        Path file = TestPng.of(40, 30).text("Software", "GIMP").idat(40, 30).iend().write(dir, "plain.png");

        assertThat(LineageReader.read(file)).isEqualTo(new LineageReader.NoMetadata(file, 40, 30));
    }

    @Test
    void failuresNameTheFileAndTheChunk() throws IOException {
        Path notPng = TestPng.write(dir, "notes.png", "just text".getBytes());
        byte[] data = TestPng.concat(TestPng.latin1("parameters"), new byte[] {0}, TestPng.latin1("x"));
        Path badCrc = TestPng.of(1, 1).chunk("tEXt", data, 7).idat(1, 1).iend().write(dir, "crc.png");
        byte[] whole = TestPng.withText("prompt", "{}");
        Path cut = TestPng.write(dir, "cut.png", java.util.Arrays.copyOf(whole, 40));

        assertThat(LineageReader.read(notPng)).isInstanceOfSatisfying(LineageReader.Failed.class,
                f -> assertThat(f.reason()).contains("notes.png", "not a PNG"));
        assertThat(LineageReader.read(badCrc)).isInstanceOfSatisfying(LineageReader.Failed.class,
                f -> assertThat(f.reason()).contains("crc.png", "tEXt", "bad CRC"));
        assertThat(LineageReader.read(cut)).isInstanceOfSatisfying(LineageReader.Failed.class,
                f -> assertThat(f.reason()).contains("cut.png", "truncated"));
        assertThat(LineageReader.read(dir.resolve("missing.png"))).isInstanceOfSatisfying(LineageReader.Failed.class,
                f -> assertThat(f.reason()).contains("missing.png", "no such file"));
    }

    @Test
    void comfyWithNeitherChunkUsableSaysWhy() throws IOException {
        Path file = TestPng.of(1, 1).text("prompt", "[]").text("workflow", "{}").idat(1, 1).iend()
                .write(dir, "junk.png");

        Lineage l = LineageReader.read(file).lineage().orElseThrow();

        assertThat(l.generator()).isEqualTo("comfyui");
        assertThat(l.prompt()).isNull();
        assertThat(l.problems()).anySatisfy(p -> assertThat(p).startsWith("prompt chunk:"))
                .anySatisfy(p -> assertThat(p).startsWith("workflow chunk:"))
                .anySatisfy(p -> assertThat(p).contains("no prompt found"));
        assertThat(l.width()).isEqualTo(1);
    }
}
