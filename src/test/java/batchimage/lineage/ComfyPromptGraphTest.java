package batchimage.lineage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ComfyPromptGraph} on API-format graphs written by hand, one ComfyUI pattern each. */
class ComfyPromptGraphTest {

    private static Lineage read(String json) {
        return ComfyPromptGraph.parse(json).lineage();
    }

    @Test
    void samplerCustomAdvancedWithCfgGuider() {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl_base.safetensors"}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox in snow", "clip": ["1", 1]}},
                 "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["1", 1]}},
                 "4": {"class_type": "CFGGuider", "inputs": {"model": ["1", 0], "positive": ["2", 0],
                       "negative": ["3", 0], "cfg": 4.5}},
                 "5": {"class_type": "RandomNoise", "inputs": {"noise_seed": 123456789012}},
                 "6": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "dpmpp_2m_sde"}},
                 "7": {"class_type": "BasicScheduler", "inputs": {"scheduler": "sgm_uniform", "steps": 28,
                       "denoise": 1.0, "model": ["1", 0]}},
                 "8": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
                 "9": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["5", 0], "guider": ["4", 0],
                       "sampler": ["6", 0], "sigmas": ["7", 0], "latent_image": ["8", 0]}},
                 "10": {"class_type": "VAEDecode", "inputs": {"samples": ["9", 0], "vae": ["1", 2]}},
                 "11": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["10", 0]}}}
                """);

        assertThat(l.prompt()).isEqualTo("a red fox in snow");
        assertThat(l.negativePrompt()).isEqualTo("blurry");
        assertThat(l.seed()).isEqualTo(123456789012L);
        assertThat(l.steps()).isEqualTo(28);
        assertThat(l.cfg()).isEqualTo(4.5);
        assertThat(l.sampler()).isEqualTo("dpmpp_2m_sde");
        assertThat(l.scheduler()).isEqualTo("sgm_uniform");
        assertThat(l.model()).isEqualTo("sdxl_base.safetensors");
        assertThat(l.loras()).isEmpty();
        assertThat(l.problems()).isEmpty();
    }

    @Test
    void fluxWithBasicGuiderFluxGuidanceAndModelOnlyLora() {
        Lineage l = read("""
                {"10": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors",
                        "weight_dtype": "default"}},
                 "11": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "t5xxl_fp16.safetensors",
                        "clip_name2": "clip_l.safetensors", "type": "flux"}},
                 "12": {"class_type": "LoraLoaderModelOnly", "inputs": {"lora_name": "flux_realism.safetensors",
                        "strength_model": 0.9, "model": ["10", 0]}},
                 "13": {"class_type": "ModelSamplingFlux", "inputs": {"max_shift": 1.15, "base_shift": 0.5,
                        "width": 1024, "height": 1024, "model": ["12", 0]}},
                 "6": {"class_type": "CLIPTextEncodeFlux", "inputs": {"clip_l": "a lighthouse at dusk",
                       "t5xxl": "a lighthouse at dusk, waves crashing on rocks", "guidance": 3.5, "clip": ["11", 0]}},
                 "26": {"class_type": "FluxGuidance", "inputs": {"guidance": 3.5, "conditioning": ["6", 0]}},
                 "22": {"class_type": "BasicGuider", "inputs": {"model": ["13", 0], "conditioning": ["26", 0]}},
                 "25": {"class_type": "RandomNoise", "inputs": {"noise_seed": 42}},
                 "16": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
                 "17": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 20, "denoise": 1.0,
                        "model": ["13", 0]}},
                 "27": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 1024,
                        "batch_size": 1}},
                 "30": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["25", 0], "guider": ["22", 0],
                        "sampler": ["16", 0], "sigmas": ["17", 0], "latent_image": ["27", 0]}},
                 "31": {"class_type": "VAELoader", "inputs": {"vae_name": "ae.safetensors"}},
                 "8": {"class_type": "VAEDecode", "inputs": {"samples": ["30", 0], "vae": ["31", 0]}},
                 "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "flux", "images": ["8", 0]}}}
                """);

        assertThat(l.prompt()).isEqualTo("a lighthouse at dusk\na lighthouse at dusk, waves crashing on rocks");
        assertThat(l.negativePrompt()).isNull();
        assertThat(l.seed()).isEqualTo(42L);
        assertThat(l.steps()).isEqualTo(20);
        assertThat(l.cfg()).isNull();
        assertThat(l.sampler()).isEqualTo("euler");
        assertThat(l.scheduler()).isEqualTo("simple");
        assertThat(l.model()).isEqualTo("flux1-dev.safetensors");
        assertThat(l.loras()).containsExactly(new Lineage.Lora("flux_realism.safetensors", 0.9));
        assertThat(l.problems()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
        "KarrasScheduler, '\"sigma_max\": 14.6, \"sigma_min\": 0.03, \"rho\": 7.0', karras",
        "SDTurboScheduler, '\"denoise\": 1.0', sd_turbo",
        "AlignYourStepsScheduler, '\"model_type\": \"SDXL\", \"denoise\": 1.0', align_your_steps"})
    void samplerCustomNamesTheSchedulerAfterItsNode(String type, String more, String expected) {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "turbo.safetensors"}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a teapot", "clip": ["1", 1]}},
                 "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}},
                 "4": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler_ancestral"}},
                 "5": {"class_type": "%s", "inputs": {"steps": 6, %s, "model": ["1", 0]}},
                 "6": {"class_type": "SplitSigmas", "inputs": {"step": 0, "sigmas": ["5", 0]}},
                 "7": {"class_type": "SamplerCustom", "inputs": {"add_noise": true, "noise_seed": 77, "cfg": 1.0,
                       "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "sampler": ["4", 0],
                       "sigmas": ["6", 1], "latent_image": ["8", 0]}},
                 "8": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
                 "9": {"class_type": "VAEDecode", "inputs": {"samples": ["7", 0], "vae": ["1", 2]}},
                 "10": {"class_type": "SaveImage", "inputs": {"filename_prefix": "t", "images": ["9", 0]}}}
                """.formatted(type, more));

        assertThat(l.scheduler()).isEqualTo(expected);
        assertThat(l.steps()).isEqualTo(6);
        assertThat(l.seed()).isEqualTo(77L);
        assertThat(l.cfg()).isEqualTo(1.0);
        assertThat(l.sampler()).isEqualTo("euler_ancestral");
        assertThat(l.prompt()).isEqualTo("a teapot");
        assertThat(l.negativePrompt()).isEmpty();
    }

    @Test
    void combinedConditioningGivesEveryTextOncePerLineInGraphOrder() {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
                 "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "dramatic sky", "clip": ["1", 1]}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a castle on a hill", "clip": ["1", 1]}},
                 "12": {"class_type": "CLIPTextEncode", "inputs": {"text": "dramatic sky", "clip": ["1", 1]}},
                 "4": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["2", 0],
                       "conditioning_2": ["3", 0]}},
                 "13": {"class_type": "ConditioningConcat", "inputs": {"conditioning_to": ["4", 0],
                        "conditioning_from": ["12", 0]}},
                 "14": {"class_type": "ConditioningSetTimestepRange", "inputs": {"start": 0.0, "end": 1.0,
                        "conditioning": ["13", 0]}},
                 "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "lowres", "clip": ["1", 1]}},
                 "8": {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 10, "cfg": 6.0, "sampler_name": "euler",
                       "scheduler": "normal", "denoise": 1.0, "model": ["1", 0], "positive": ["14", 0],
                       "negative": ["5", 0], "latent_image": ["9", 0]}},
                 "9": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
                 "10": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}},
                 "11": {"class_type": "SaveImage", "inputs": {"filename_prefix": "c", "images": ["10", 0]}}}
                """);

        assertThat(l.prompt()).isEqualTo("a castle on a hill\ndramatic sky");
        assertThat(l.negativePrompt()).isEqualTo("lowres");
        assertThat(l.problems()).isEmpty();
    }

    @Test
    void textsAndSeedThroughPrimitiveAndStringNodes() {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
                 "20": {"class_type": "PrimitiveString", "inputs": {"value": "a koi pond, watercolor"}},
                 "21": {"class_type": "String Literal", "inputs": {"string": ["20", 0]}},
                 "22": {"class_type": "Text Multiline", "inputs": {"text": "ugly, deformed"}},
                 "23": {"class_type": "Seed (rgthree)", "inputs": {"seed": 987654321}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": ["21", 0], "clip": ["1", 1]}},
                 "3": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["1", 1], "text": ["22", 0]}},
                 "8": {"class_type": "KSampler", "inputs": {"seed": ["23", 0], "steps": 30, "cfg": 7.5,
                       "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 1.0, "model": ["1", 0],
                       "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["9", 0]}},
                 "9": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
                 "10": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}},
                 "11": {"class_type": "SaveImage", "inputs": {"filename_prefix": "p", "images": ["10", 0]}}}
                """);

        assertThat(l.prompt()).isEqualTo("a koi pond, watercolor");
        assertThat(l.negativePrompt()).isEqualTo("ugly, deformed");
        assertThat(l.seed()).isEqualTo(987654321L);
        assertThat(l.problems()).isEmpty();
    }

    @Test
    void baseAndRefinerTwoPassReportsThePassNearestTheOutput() {
        Lineage l = read("""
                {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
                 "12": {"class_type": "CheckpointLoaderSimple",
                        "inputs": {"ckpt_name": "sd_xl_refiner_1.0.safetensors"}},
                 "6": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"width": 1024, "height": 1024, "crop_w": 0,
                       "crop_h": 0, "target_width": 1024, "target_height": 1024,
                       "text_g": "an astronaut riding a horse", "text_l": "an astronaut riding a horse",
                       "clip": ["4", 1]}},
                 "7": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"width": 1024, "height": 1024, "crop_w": 0,
                       "crop_h": 0, "target_width": 1024, "target_height": 1024, "text_g": "cartoon",
                       "text_l": "drawing", "clip": ["4", 1]}},
                 "15": {"class_type": "CLIPTextEncodeSDXLRefiner", "inputs": {"ascore": 6.0, "width": 1024,
                        "height": 1024, "text": "an astronaut riding a horse, detailed", "clip": ["12", 1]}},
                 "16": {"class_type": "CLIPTextEncodeSDXLRefiner", "inputs": {"ascore": 2.5, "width": 1024,
                        "height": 1024, "text": "cartoon", "clip": ["12", 1]}},
                 "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
                 "10": {"class_type": "KSamplerAdvanced", "inputs": {"add_noise": "enable",
                        "noise_seed": 721897303308196, "steps": 25, "cfg": 8.0, "sampler_name": "euler",
                        "scheduler": "normal", "start_at_step": 0, "end_at_step": 20,
                        "return_with_leftover_noise": "enable", "model": ["4", 0], "positive": ["6", 0],
                        "negative": ["7", 0], "latent_image": ["5", 0]}},
                 "11": {"class_type": "KSamplerAdvanced", "inputs": {"add_noise": "disable", "noise_seed": 3,
                        "steps": 25, "cfg": 7.5, "sampler_name": "dpmpp_2m", "scheduler": "karras",
                        "start_at_step": 20, "end_at_step": 10000, "return_with_leftover_noise": "disable",
                        "model": ["12", 0], "positive": ["15", 0], "negative": ["16", 0], "latent_image": ["10", 0]}},
                 "17": {"class_type": "VAEDecode", "inputs": {"samples": ["11", 0], "vae": ["12", 2]}},
                 "19": {"class_type": "SaveImage", "inputs": {"filename_prefix": "sdxl", "images": ["17", 0]}},
                 "20": {"class_type": "VAEDecode", "inputs": {"samples": ["10", 0], "vae": ["4", 2]}},
                 "21": {"class_type": "PreviewImage", "inputs": {"images": ["20", 0]}}}
                """);

        assertThat(l.seed()).isEqualTo(3L);
        assertThat(l.steps()).isEqualTo(25);
        assertThat(l.cfg()).isEqualTo(7.5);
        assertThat(l.sampler()).isEqualTo("dpmpp_2m");
        assertThat(l.scheduler()).isEqualTo("karras");
        assertThat(l.prompt()).isEqualTo("an astronaut riding a horse, detailed");
        assertThat(l.negativePrompt()).isEqualTo("cartoon");
        assertThat(l.model()).isEqualTo("sd_xl_refiner_1.0.safetensors");
    }

    @Test
    void sdxlEncoderGivesOneTextWhenBothAreEqualAndBothWhenNot() {
        Lineage l = read("""
                {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
                 "6": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"text_g": "a quiet harbour",
                       "text_l": "a quiet harbour", "clip": ["4", 1]}},
                 "7": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"text_g": "cartoon", "text_l": "drawing",
                       "clip": ["4", 1]}},
                 "10": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 2, "cfg": 3.0, "sampler_name": "euler",
                        "scheduler": "normal", "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                        "latent_image": ["5", 0]}},
                 "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
                 "17": {"class_type": "VAEDecode", "inputs": {"samples": ["10", 0], "vae": ["4", 2]}},
                 "19": {"class_type": "SaveImage", "inputs": {"filename_prefix": "sdxl", "images": ["17", 0]}}}
                """);

        assertThat(l.prompt()).isEqualTo("a quiet harbour");
        assertThat(l.negativePrompt()).isEqualTo("cartoon\ndrawing");
    }

    @Test
    void hiresFixTakesTheSecondPass() {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a foggy forest", "clip": ["1", 1]}},
                 "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "bad", "clip": ["1", 1]}},
                 "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
                 "6": {"class_type": "KSampler", "inputs": {"seed": 100, "steps": 20, "cfg": 7.0, "sampler_name": "euler",
                       "scheduler": "normal", "denoise": 1.0, "model": ["1", 0], "positive": ["2", 0],
                       "negative": ["3", 0], "latent_image": ["5", 0]}},
                 "7": {"class_type": "LatentUpscaleBy", "inputs": {"upscale_method": "nearest-exact", "scale_by": 1.5,
                       "samples": ["6", 0]}},
                 "8": {"class_type": "KSampler", "inputs": {"seed": 200, "steps": 12, "cfg": 5.0,
                       "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 0.5, "model": ["1", 0],
                       "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["7", 0]}},
                 "9": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}},
                 "10": {"class_type": "SaveImage", "inputs": {"filename_prefix": "h", "images": ["9", 0]}}}
                """);

        assertThat(l.seed()).isEqualTo(200L);
        assertThat(l.steps()).isEqualTo(12);
        assertThat(l.cfg()).isEqualTo(5.0);
        assertThat(l.sampler()).isEqualTo("dpmpp_2m");
        assertThat(l.scheduler()).isEqualTo("karras");
        assertThat(l.prompt()).isEqualTo("a foggy forest");
    }

    @Test
    void controlNetApplyAdvancedKeepsPositiveAndNegativeApart() {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a dancer on stage", "clip": ["1", 1]}},
                 "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "extra limbs", "clip": ["1", 1]}},
                 "21": {"class_type": "ControlNetLoader", "inputs": {"control_net_name": "openpose.safetensors"}},
                 "22": {"class_type": "LoadImage", "inputs": {"image": "pose.png"}},
                 "20": {"class_type": "ControlNetApplyAdvanced", "inputs": {"strength": 0.8, "start_percent": 0.0,
                        "end_percent": 1.0, "positive": ["2", 0], "negative": ["3", 0], "control_net": ["21", 0],
                        "image": ["22", 0]}},
                 "8": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "sampler_name": "euler",
                       "scheduler": "normal", "model": ["1", 0], "positive": ["20", 0], "negative": ["20", 1],
                       "latent_image": ["9", 0]}},
                 "9": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
                 "10": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}},
                 "11": {"class_type": "SaveImage", "inputs": {"filename_prefix": "cn", "images": ["10", 0]}}}
                """);

        assertThat(l.prompt()).isEqualTo("a dancer on stage");
        assertThat(l.negativePrompt()).isEqualTo("extra limbs");
    }

    @Test
    void lorasAreListedFromTheCheckpointOutward() {
        Lineage l = read("""
                {"20": {"class_type": "LoraLoader", "inputs": {"lora_name": "second.safetensors", "strength_model": 1.0,
                        "strength_clip": 1.0, "model": ["30", 0], "clip": ["30", 1]}},
                 "25": {"class_type": "ModelSamplingDiscrete", "inputs": {"sampling": "eps", "zsnr": false,
                        "model": ["20", 0]}},
                 "30": {"class_type": "LoraLoader", "inputs": {"lora_name": "first.safetensors", "strength_model": 0.6,
                        "strength_clip": 0.2, "model": ["4", 0], "clip": ["4", 1]}},
                 "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "base.ckpt"}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a tram", "clip": ["20", 1]}},
                 "8": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "sampler_name": "euler",
                       "scheduler": "normal", "model": ["25", 0], "positive": ["2", 0], "negative": ["2", 0],
                       "latent_image": ["9", 0]}},
                 "9": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
                 "10": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["4", 2]}},
                 "11": {"class_type": "SaveImage", "inputs": {"filename_prefix": "l", "images": ["10", 0]}}}
                """);

        assertThat(l.model()).isEqualTo("base.ckpt");
        assertThat(l.loras()).containsExactly(new Lineage.Lora("first.safetensors", 0.6),
                new Lineage.Lora("second.safetensors", 1.0));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void cycleIsReportedNotFollowed() {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
                 "2": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["3", 0],
                       "conditioning_2": ["5", 0]}},
                 "3": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["2", 0],
                       "conditioning_2": ["6", 0]}},
                 "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lone tree", "clip": ["1", 1]}},
                 "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "fog", "clip": ["1", 1]}},
                 "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "noise", "clip": ["1", 1]}},
                 "8": {"class_type": "KSampler", "inputs": {"seed": 9, "steps": 20, "cfg": 7.0, "sampler_name": "euler",
                       "scheduler": "normal", "model": ["1", 0], "positive": ["2", 0], "negative": ["7", 0],
                       "latent_image": ["9", 0]}},
                 "9": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
                 "10": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}},
                 "11": {"class_type": "SaveImage", "inputs": {"filename_prefix": "y", "images": ["10", 0]}}}
                """);

        assertThat(l.problems()).anySatisfy(p -> assertThat(p).startsWith("cycle detected").contains("2", "3"));
        assertThat(l.prompt().split("\n")).containsExactlyInAnyOrder("a lone tree", "fog");
        assertThat(l.seed()).isEqualTo(9L);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void cycleWithoutASamplerIsReportedNotFollowed() {
        Lineage l = read("""
                {"7": {"class_type": "LatentUpscale", "inputs": {"samples": ["8", 0]}},
                 "8": {"class_type": "LatentUpscaleBy", "inputs": {"samples": ["7", 0]}},
                 "9": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0]}},
                 "10": {"class_type": "SaveImage", "inputs": {"images": ["9", 0]}},
                 "11": {"class_type": "LoraLoader", "inputs": {"lora_name": "x", "model": ["11", 0]}}}
                """);

        assertThat(l.problems()).anyMatch(p -> p.startsWith("cycle detected"))
                .anyMatch(p -> p.contains("no sampler"));
        assertThat(l.prompt()).isNull();
        assertThat(l.seed()).isNull();
    }

    @Test
    void danglingReferenceIsReported() {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a harbour", "clip": ["1", 1]}},
                 "8": {"class_type": "KSampler", "inputs": {"seed": 9, "steps": 20, "cfg": 7.0, "sampler_name": "euler",
                       "scheduler": "normal", "model": ["1", 0], "positive": ["2", 0], "negative": ["99", 0],
                       "latent_image": ["9", 0]}},
                 "9": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
                 "10": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}},
                 "11": {"class_type": "SaveImage", "inputs": {"filename_prefix": "y", "images": ["10", 0]}}}
                """);

        assertThat(l.problems()).anySatisfy(p -> assertThat(p).contains("dangling reference", "'negative'", "99"));
        assertThat(l.problems()).anySatisfy(p -> assertThat(p).contains("no negative prompt found"));
        assertThat(l.negativePrompt()).isNull();
        assertThat(l.prompt()).isEqualTo("a harbour");
        assertThat(l.model()).isEqualTo("m.safetensors");
    }

    @Test
    void seedBeyondALongIsAProblemNotAnError() {
        Lineage l = read("""
                {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "x", "clip": ["1", 1]}},
                 "8": {"class_type": "KSampler", "inputs": {"seed": 18446744073709551615, "steps": 20, "cfg": 7.0,
                       "sampler_name": "euler", "scheduler": "normal", "model": ["1", 0], "positive": ["2", 0],
                       "negative": ["2", 0], "latent_image": ["9", 0]}},
                 "10": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}}
                """);

        assertThat(l.seed()).isNull();
        assertThat(l.problems()).anySatisfy(p -> assertThat(p).contains("18446744073709551615", "64-bit"));
        assertThat(l.steps()).isEqualTo(20);
    }

    @Test
    void graphWithoutSamplerSaysSo() {
        Lineage l = read("""
                {"1": {"class_type": "LoadImage", "inputs": {"image": "in.png"}},
                 "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}}
                """);

        assertThat(l.generator()).isEqualTo("comfyui");
        assertThat(l.prompt()).isNull();
        assertThat(l.problems()).anySatisfy(p -> assertThat(p).contains("no sampler"));
    }

    @Test
    void notAGraph() {
        assertThatThrownBy(() -> ComfyPromptGraph.parse("{not json")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> ComfyPromptGraph.parse("[1, 2]")).isInstanceOf(IllegalArgumentException.class);
    }
}
