package batchimage.lineage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link A1111Parameters} on parameters texts written by hand in the shapes A1111, Forge and SD.Next write. */
class A1111ParametersTest {

    @TempDir
    Path dir;

    @Test
    void quotedValuesWithCommasAndAScheduleType() {
        Lineage l = A1111Parameters.read("""
                a cozy cabin in the woods, snow
                Negative prompt: blurry
                Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3735928559, \
                Size: 832x1216, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, \
                Lora hashes: "add_detail: 7c6bad76eb54, film_grain: 5cc9e2b6f1a2", \
                Hires upscaler: "4x-UltraSharp, v2", Version: f2.0.1v1.10.1""");

        assertThat(l.generator()).isEqualTo("a1111");
        assertThat(l.prompt()).isEqualTo("a cozy cabin in the woods, snow");
        assertThat(l.negativePrompt()).isEqualTo("blurry");
        assertThat(l.steps()).isEqualTo(28);
        assertThat(l.sampler()).isEqualTo("DPM++ 2M");
        assertThat(l.scheduler()).isEqualTo("Karras");
        assertThat(l.cfg()).isEqualTo(6.5);
        assertThat(l.seed()).isEqualTo(3735928559L);
        assertThat(l.model()).isEqualTo("sd_xl_base_1.0");
        assertThat(l.problems()).isEmpty();
    }

    @Test
    void settingsKeepQuotedValuesWhole() {
        var settings = A1111Parameters.parse("p\nSteps: 20, Lora hashes: \"a: 1, b: 2\", Sampler: Euler, "
                + "Wildcard prompt: \"say \\\"hi\\\", twice\"").settings();

        assertThat(settings).containsEntry("Lora hashes", "a: 1, b: 2").containsEntry("Sampler", "Euler")
                .containsEntry("Wildcard prompt", "say \"hi\", twice").containsEntry("Steps", "20");
    }

    @Test
    void multiLinePromptAndNegative() {
        Lineage l = A1111Parameters.read("""
                masterpiece, a harbour at dawn,
                fishing boats, gulls

                soft light
                Negative prompt: lowres,
                watermark, text
                Steps: 30, Sampler: Euler a, CFG scale: 7, Seed: 12, Size: 512x512, Model: dreamshaper_8
                """);

        assertThat(l.prompt()).isEqualTo("masterpiece, a harbour at dawn,\nfishing boats, gulls\n\nsoft light");
        assertThat(l.negativePrompt()).isEqualTo("lowres,\nwatermark, text");
        assertThat(l.cfg()).isEqualTo(7.0);
        assertThat(l.sampler()).isEqualTo("Euler a");
        assertThat(l.scheduler()).isNull();
    }

    @Test
    void loraTagsGiveLorasAndStayInThePrompt() {
        Lineage l = A1111Parameters.read("""
                portrait of a knight <lora:add_detail:0.7>, <lora:film_grain_v2>, <lora:style:0.5:0.3>
                Negative prompt: bad hands
                Steps: 20, Sampler: Euler, CFG scale: 5, Seed: 1, Model: v1-5-pruned-emaonly""");

        assertThat(l.loras()).containsExactly(new Lineage.Lora("add_detail", 0.7),
                new Lineage.Lora("film_grain_v2", 1.0), new Lineage.Lora("style", 0.5));
        assertThat(l.prompt()).isEqualTo(
                "portrait of a knight <lora:add_detail:0.7>, <lora:film_grain_v2>, <lora:style:0.5:0.3>");
    }

    @Test
    void oldStyleSamplerWithKarrasInTheNameKeepsItWholeWithNoScheduler() {
        Lineage l = A1111Parameters.read("a fox\nNegative prompt: x\nSteps: 40, Sampler: DPM++ 2M Karras, "
                + "CFG scale: 6.5, Seed: 204948945785428, Size: 256x171, Model hash: 1c4c8629a8, "
                + "Model: v1-5-pruned-emaonly");

        assertThat(l.sampler()).isEqualTo("DPM++ 2M Karras");
        assertThat(l.scheduler()).isNull();
        assertThat(l.seed()).isEqualTo(204948945785428L);
    }

    @Test
    void noNegativePromptLineIsAnEmptyNegativePrompt() {
        Lineage l = A1111Parameters.read("two giraffes\nSteps: 40, Sampler: Euler, CFG scale: 5.0, Seed: 3, "
                + "Model: dreamshaper_8");

        assertThat(l.prompt()).isEqualTo("two giraffes");
        assertThat(l.negativePrompt()).isEmpty();
        assertThat(l.model()).isEqualTo("dreamshaper_8");
    }

    @Test
    void missingModelIsAProblem() {
        Lineage l = A1111Parameters.read("x\nSteps: 4, Sampler: Euler, Seed: 3, Model hash: abc123");

        assertThat(l.model()).isNull();
        assertThat(l.problems()).anySatisfy(p -> assertThat(p).contains("no Model", "abc123"));
    }

    @Test
    void readsParametersFromTextAndInternationalTextChunks() throws IOException {
        String parameters = "ein Fuchs im Schnee, café\nNegative prompt: unscharf\nSteps: 12, Sampler: DDIM, "
                + "CFG scale: 4.5, Seed: 99, Size: 64x32, Model: m";
        Path itxt = TestPng.of(64, 32).idat(64, 32).itxt("parameters", parameters, true).iend()
                .write(dir, "itxt.png");
        Path text = TestPng.of(64, 32).text("parameters", parameters).idat(64, 32).iend().write(dir, "text.png");

        for (Path file : new Path[] {itxt, text}) {
            Lineage l = LineageReader.read(file).lineage().orElseThrow();
            assertThat(l.generator()).isEqualTo("a1111");
            assertThat(l.prompt()).isEqualTo("ein Fuchs im Schnee, café");
            assertThat(l.negativePrompt()).isEqualTo("unscharf");
            assertThat(l.sampler()).isEqualTo("DDIM");
            assertThat(l.width()).isEqualTo(64);
            assertThat(l.height()).isEqualTo(32);
            assertThat(l.workflow()).isNull();
        }
    }
}
