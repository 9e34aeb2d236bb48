package batchimage.lineage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ComfyWorkflow}: the UI-format workflow read as the fallback, against its API-format twin. */
class ComfyWorkflowTest {

    /** A UI workflow as ComfyUI saves it: inputs by name, a seed control value, a Reroute and a bypassed LoRA. */
    static final String WORKFLOW = """
            {"last_node_id": 17, "last_link_id": 14,
             "nodes": [
              {"id": 4, "type": "CheckpointLoaderSimple", "mode": 0, "inputs": [],
               "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}, {"name": "CLIP", "type": "CLIP",
               "links": [2]}, {"name": "VAE", "type": "VAE", "links": [10]}],
               "widgets_values": ["dreamshaper_8.safetensors"]},
              {"id": 10, "type": "LoraLoader", "mode": 0,
               "inputs": [{"name": "model", "type": "MODEL", "link": 1}, {"name": "clip", "type": "CLIP", "link": 2}],
               "widgets_values": ["add_detail.safetensors", 0.7, 0.6]},
              {"id": 6, "type": "CLIPTextEncode", "mode": 0, "inputs": [{"name": "clip", "type": "CLIP", "link": 3}],
               "widgets_values": ["a lighthouse on a cliff"]},
              {"id": 7, "type": "CLIPTextEncode", "mode": 0, "inputs": [{"name": "clip", "type": "CLIP", "link": 4}],
               "widgets_values": ["blurry"]},
              {"id": 5, "type": "EmptyLatentImage", "mode": 0, "inputs": [], "widgets_values": [512, 768, 1]},
              {"id": 15, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 5}],
               "outputs": [{"name": "", "type": "MODEL", "links": [12]}]},
              {"id": 17, "type": "LoraLoader", "mode": 4,
               "inputs": [{"name": "model", "type": "MODEL", "link": 12}, {"name": "clip", "type": "CLIP",
               "link": 14}], "widgets_values": ["bypassed.safetensors", 1.0, 1.0]},
              {"id": 3, "type": "KSampler", "mode": 0,
               "inputs": [{"name": "model", "type": "MODEL", "link": 13},
                          {"name": "positive", "type": "CONDITIONING", "link": 6},
                          {"name": "negative", "type": "CONDITIONING", "link": 7},
                          {"name": "latent_image", "type": "LATENT", "link": 8}],
               "widgets_values": [156680208700286, "randomize", 20, 8, "euler", "normal", 1]},
              {"id": 8, "type": "VAEDecode", "mode": 0,
               "inputs": [{"name": "samples", "type": "LATENT", "link": 9}, {"name": "vae", "type": "VAE",
               "link": 10}]},
              {"id": 9, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 11}],
               "widgets_values": ["ComfyUI"]},
              {"id": 16, "type": "Note", "mode": 0, "inputs": [], "widgets_values": ["remember the seed"]}],
             "links": [[1, 4, 0, 10, 0, "MODEL"], [2, 4, 1, 10, 1, "CLIP"], [3, 10, 1, 6, 0, "CLIP"],
                       [4, 10, 1, 7, 0, "CLIP"], [5, 10, 0, 15, 0, "MODEL"], [12, 15, 0, 17, 0, "MODEL"],
                       [14, 10, 1, 17, 1, "CLIP"], [13, 17, 0, 3, 0, "MODEL"], [6, 6, 0, 3, 1, "CONDITIONING"],
                       [7, 7, 0, 3, 2, "CONDITIONING"], [8, 5, 0, 3, 3, "LATENT"], [9, 3, 0, 8, 0, "LATENT"],
                       [10, 4, 2, 8, 1, "VAE"], [11, 8, 0, 9, 0, "IMAGE"]],
             "groups": [], "config": {}, "extra": {}, "version": 0.4}
            """;

    /** The same graph in API format, as ComfyUI writes it in the prompt chunk. */
    static final String PROMPT = """
            {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "dreamshaper_8.safetensors"}},
             "10": {"class_type": "LoraLoader", "inputs": {"lora_name": "add_detail.safetensors", "strength_model": 0.7,
                    "strength_clip": 0.6, "model": ["4", 0], "clip": ["4", 1]}},
             "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse on a cliff", "clip": ["10", 1]}},
             "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["10", 1]}},
             "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": 1}},
             "3": {"class_type": "KSampler", "inputs": {"seed": 156680208700286, "steps": 20, "cfg": 8,
                   "sampler_name": "euler", "scheduler": "normal", "denoise": 1, "model": ["10", 0],
                   "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
             "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
             "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}}}
            """;

    @TempDir
    Path dir;

    private static void assertLighthouse(Lineage l) {
        assertThat(l.generator()).isEqualTo("comfyui");
        assertThat(l.prompt()).isEqualTo("a lighthouse on a cliff");
        assertThat(l.negativePrompt()).isEqualTo("blurry");
        assertThat(l.seed()).isEqualTo(156680208700286L);
        assertThat(l.steps()).isEqualTo(20);
        assertThat(l.cfg()).isEqualTo(8.0);
        assertThat(l.sampler()).isEqualTo("euler");
        assertThat(l.scheduler()).isEqualTo("normal");
        assertThat(l.model()).isEqualTo("dreamshaper_8.safetensors");
        assertThat(l.loras()).containsExactly(new Lineage.Lora("add_detail.safetensors", 0.7));
    }

    @Test
    void workflowReadsLikeItsPromptTwin() {
        Lineage fromWorkflow = ComfyWorkflow.parse(WORKFLOW).lineage();
        Lineage fromPrompt = ComfyPromptGraph.parse(PROMPT).lineage();

        assertLighthouse(fromWorkflow);
        assertLighthouse(fromPrompt);
        assertThat(fromWorkflow.problems()).isEmpty();
    }

    @Test
    void workflowOnlyPngReadsTheSameValuesAsItsPromptGraphTwin() throws IOException {
        Path workflowOnly = TestPng.of(512, 768).text("workflow", WORKFLOW).idat(1, 1).iend()
                .write(dir, "workflow-only.png");
        Path promptOnly = TestPng.of(512, 768).ztxt("prompt", PROMPT).idat(1, 1).iend().write(dir, "prompt.png");

        Lineage a = LineageReader.read(workflowOnly).lineage().orElseThrow();
        Lineage b = LineageReader.read(promptOnly).lineage().orElseThrow();

        assertLighthouse(a);
        Map<String, Object> withoutSource = new LinkedHashMap<>(a.toMap());
        withoutSource.remove("source");
        Map<String, Object> twin = new LinkedHashMap<>(b.toMap());
        twin.remove("source");
        assertThat(withoutSource).isEqualTo(twin);
        assertThat(a.workflow()).isEqualTo(WORKFLOW);
        assertThat(b.workflow()).isEqualTo(PROMPT);
        assertThat(a.width()).isEqualTo(512);
        assertThat(a.height()).isEqualTo(768);
    }

    @Test
    void unparsablePromptFallsBackToTheWorkflow() throws IOException {
        Path file = TestPng.of(8, 8).text("prompt", "{\"3\": {\"class_type\": ").text("workflow", WORKFLOW)
                .idat(8, 8).iend().write(dir, "broken-prompt.png");

        Lineage l = LineageReader.read(file).lineage().orElseThrow();

        assertLighthouse(l);
        assertThat(l.problems()).anySatisfy(p -> assertThat(p).startsWith("prompt chunk: not valid JSON"));
    }

    @Test
    void textFromAPrimitiveNodeLinkedIntoAConvertedWidget() {
        String workflow = """
                {"nodes": [
                  {"id": 1, "type": "CheckpointLoaderSimple", "widgets_values": ["m.safetensors"]},
                  {"id": 30, "type": "PrimitiveNode", "widgets_values": ["a snowy village"]},
                  {"id": 31, "type": "PrimitiveNode", "widgets_values": [4242, "fixed"]},
                  {"id": 2, "type": "CLIPTextEncode", "inputs": [{"name": "clip", "type": "CLIP", "link": 1},
                    {"name": "text", "type": "STRING", "widget": {"name": "text"}, "link": 2}],
                   "widgets_values": ["a stale copy"]},
                  {"id": 3, "type": "KSamplerAdvanced", "inputs": [{"name": "model", "type": "MODEL", "link": 3},
                    {"name": "positive", "type": "CONDITIONING", "link": 4},
                    {"name": "negative", "type": "CONDITIONING", "link": 5},
                    {"name": "noise_seed", "type": "INT", "widget": {"name": "noise_seed"}, "link": 8}],
                   "widgets_values": ["enable", 1, "fixed", 30, 6.5, "dpmpp_2m", "karras", 0, 10000, "disable"]},
                  {"id": 4, "type": "VAEDecode", "inputs": [{"name": "samples", "type": "LATENT", "link": 6}]},
                  {"id": 5, "type": "SaveImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 7}]}],
                 "links": [
                  {"id": 1, "origin_id": 1, "origin_slot": 1, "target_id": 2, "target_slot": 0, "type": "CLIP"},
                  {"id": 2, "origin_id": 30, "origin_slot": 0, "target_id": 2, "target_slot": 1, "type": "STRING"},
                  {"id": 3, "origin_id": 1, "origin_slot": 0, "target_id": 3, "target_slot": 0, "type": "MODEL"},
                  {"id": 4, "origin_id": 2, "origin_slot": 0, "target_id": 3, "target_slot": 1,
                   "type": "CONDITIONING"},
                  {"id": 5, "origin_id": 2, "origin_slot": 0, "target_id": 3, "target_slot": 2,
                   "type": "CONDITIONING"},
                  {"id": 6, "origin_id": 3, "origin_slot": 0, "target_id": 4, "target_slot": 0, "type": "LATENT"},
                  {"id": 7, "origin_id": 4, "origin_slot": 0, "target_id": 5, "target_slot": 0, "type": "IMAGE"},
                  {"id": 8, "origin_id": 31, "origin_slot": 0, "target_id": 3, "target_slot": 3, "type": "INT"}]}
                """;

        Lineage l = ComfyWorkflow.parse(workflow).lineage();

        assertThat(l.prompt()).isEqualTo("a snowy village");
        assertThat(l.seed()).isEqualTo(4242L);
        assertThat(l.steps()).isEqualTo(30);
        assertThat(l.cfg()).isEqualTo(6.5);
        assertThat(l.sampler()).isEqualTo("dpmpp_2m");
        assertThat(l.scheduler()).isEqualTo("karras");
        assertThat(l.model()).isEqualTo("m.safetensors");
    }

    @Test
    void workflowWithoutSamplerSaysWhy() {
        Lineage l = ComfyWorkflow.parse("{\"nodes\": [{\"id\": 1, \"type\": \"LoadImage\"}], \"links\": []}")
                .lineage();

        assertThat(l.prompt()).isNull();
        assertThat(l.problems()).anySatisfy(p -> assertThat(p).contains("no output node"))
                .anySatisfy(p -> assertThat(p).contains("no sampler"));
    }

    @Test
    void notAWorkflow() {
        assertThatThrownBy(() -> ComfyWorkflow.parse("{\"a\": 1}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nodes");
        assertThatThrownBy(() -> ComfyWorkflow.parse("nope")).isInstanceOf(IllegalArgumentException.class);
    }
}
