package batchimage.lineage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link InvokeMetadata} on metadata in the documented InvokeAI 2.x, 3.x and 4.x shapes, written in PNGs. */
class InvokeMetadataTest {

    @TempDir
    Path dir;

    private Lineage readPng(String keyword, String json) throws IOException {
        Path file = TestPng.of(768, 512).text(keyword, json).idat(1, 1).iend().write(dir, keyword + ".png");
        return LineageReader.read(file).lineage().orElseThrow();
    }

    @Test
    void invoke3Shape() throws IOException {
        Lineage l = readPng("invokeai_metadata", """
                {"generation_mode": "txt2img", "positive_prompt": "a brass telescope on a desk",
                 "negative_prompt": "dust, scratches", "width": 768, "height": 512, "seed": 2381290521,
                 "rand_device": "cpu", "cfg_scale": 7.5, "steps": 30, "scheduler": "dpmpp_2m_k",
                 "model": {"model_name": "stable-diffusion-v1-5", "base_model": "sd-1", "model_type": "main"},
                 "loras": [{"lora": {"model_name": "brass_style", "base_model": "sd-1"}, "weight": 0.75},
                           {"lora": {"model_name": "detail_tweaker", "base_model": "sd-1"}, "weight": 0.3}],
                 "app_version": "3.4.0"}
                """);

        assertThat(l.generator()).isEqualTo("invokeai");
        assertThat(l.prompt()).isEqualTo("a brass telescope on a desk");
        assertThat(l.negativePrompt()).isEqualTo("dust, scratches");
        assertThat(l.seed()).isEqualTo(2381290521L);
        assertThat(l.steps()).isEqualTo(30);
        assertThat(l.cfg()).isEqualTo(7.5);
        assertThat(l.scheduler()).isEqualTo("dpmpp_2m_k");
        assertThat(l.sampler()).isNull();
        assertThat(l.model()).isEqualTo("stable-diffusion-v1-5");
        assertThat(l.loras()).containsExactly(new Lineage.Lora("brass_style", 0.75),
                new Lineage.Lora("detail_tweaker", 0.3));
        assertThat(l.width()).isEqualTo(768);
        assertThat(l.height()).isEqualTo(512);
        assertThat(l.problems()).isEmpty();
    }

    @Test
    void invoke4Shape() throws IOException {
        Lineage l = readPng("invokeai_metadata", """
                {"generation_mode": "sdxl_txt2img", "positive_prompt": "a neon alley in the rain",
                 "negative_prompt": "", "width": 1024, "height": 1024, "seed": 77, "cfg_scale": 5,
                 "steps": 25, "scheduler": "euler_a",
                 "model": {"key": "3e1b4f0c-7e9d", "hash": "blake3:abc", "name": "juggernautXL_v9",
                           "base": "sdxl", "type": "main"},
                 "loras": [{"model": {"key": "99aa", "hash": "blake3:def", "name": "neon_glow", "base": "sdxl",
                            "type": "lora"}, "weight": 0.6}],
                 "app_version": "4.2.9"}
                """);

        assertThat(l.prompt()).isEqualTo("a neon alley in the rain");
        assertThat(l.negativePrompt()).isEmpty();
        assertThat(l.cfg()).isEqualTo(5.0);
        assertThat(l.model()).isEqualTo("juggernautXL_v9");
        assertThat(l.loras()).containsExactly(new Lineage.Lora("neon_glow", 0.6));
        assertThat(l.width()).isEqualTo(768);
    }

    @Test
    void modelAsAPlainString() {
        Lineage l = InvokeMetadata.readInvokeAi("{\"positive_prompt\": \"x\", \"model\": \"sd-1.5\"}");

        assertThat(l.model()).isEqualTo("sd-1.5");
        assertThat(l.seed()).isNull();
    }

    @Test
    void invoke2SdMetadataWithWeightedPromptsAndBracketedNegatives() throws IOException {
        Lineage l = readPng("sd-metadata", """
                {"model": "stable diffusion", "model_weights": "stable-diffusion-1.5",
                 "model_hash": "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
                 "app_id": "invoke-ai/InvokeAI", "app_version": "2.3.5",
                 "image": {"prompt": [{"prompt": "a castle in the clouds [blurry, lowres]", "weight": 1.0}],
                           "steps": 50, "cfg_scale": 7.5, "threshold": 0, "perlin": 0, "height": 512, "width": 512,
                           "seed": 1234567, "seamless": false, "hires_fix": false, "type": "txt2img",
                           "postprocessing": null, "sampler": "k_lms", "variations": []}}
                """);

        assertThat(l.generator()).isEqualTo("invokeai");
        assertThat(l.prompt()).isEqualTo("a castle in the clouds");
        assertThat(l.negativePrompt()).isEqualTo("blurry, lowres");
        assertThat(l.seed()).isEqualTo(1234567L);
        assertThat(l.steps()).isEqualTo(50);
        assertThat(l.cfg()).isEqualTo(7.5);
        assertThat(l.sampler()).isEqualTo("k_lms");
        assertThat(l.model()).isEqualTo("stable-diffusion-1.5");
    }

    @Test
    void sdMetadataWithAStringPrompt() {
        Lineage l = InvokeMetadata.readSdMetadata("""
                {"model_weights": "m", "image": {"prompt": "a red barn", "seed": 5, "sampler": "ddim"}}
                """);

        assertThat(l.prompt()).isEqualTo("a red barn");
        assertThat(l.negativePrompt()).isEmpty();
    }

    @Test
    void brokenJsonIsAProblem() {
        Lineage l = InvokeMetadata.readInvokeAi("{\"positive_prompt\": ");

        assertThat(l.generator()).isEqualTo("invokeai");
        assertThat(l.prompt()).isNull();
        assertThat(l.problems()).anySatisfy(p -> assertThat(p).contains("invokeai_metadata", "not valid JSON"));
    }
}
