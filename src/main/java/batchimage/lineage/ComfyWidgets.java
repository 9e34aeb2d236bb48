package batchimage.lineage;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The names of the positional {@code widgets_values} of ComfyUI node types in the UI-format workflow, for the node
 * types whose values lineage needs. The {@code control_after_generate} value the UI stores after a seed
 * ({@code fixed}, {@code increment}, {@code decrement}, {@code randomize}) is not listed: it is skipped wherever it
 * follows a seed, since older workflows do not have it.
 */
final class ComfyWidgets {

    /** Values the UI stores after a seed widget. */
    static final Set<String> SEED_CONTROLS = Set.of("fixed", "increment", "decrement", "randomize");

    /** Widgets a seed-control value may follow. */
    static final Set<String> SEED_WIDGETS = Set.of("seed", "noise_seed", "value");

    private static final Map<String, List<String>> NAMES = Map.ofEntries(
            Map.entry("KSampler", List.of("seed", "steps", "cfg", "sampler_name", "scheduler", "denoise")),
            Map.entry("KSamplerAdvanced", List.of("add_noise", "noise_seed", "steps", "cfg", "sampler_name",
                    "scheduler", "start_at_step", "end_at_step", "return_with_leftover_noise")),
            Map.entry("SamplerCustom", List.of("add_noise", "noise_seed", "cfg")),
            Map.entry("RandomNoise", List.of("noise_seed")),
            Map.entry("KSamplerSelect", List.of("sampler_name")),
            Map.entry("BasicScheduler", List.of("scheduler", "steps", "denoise")),
            Map.entry("KarrasScheduler", List.of("steps", "sigma_max", "sigma_min", "rho")),
            Map.entry("ExponentialScheduler", List.of("steps", "sigma_max", "sigma_min")),
            Map.entry("PolyexponentialScheduler", List.of("steps", "sigma_max", "sigma_min", "rho")),
            Map.entry("SDTurboScheduler", List.of("steps", "denoise")),
            Map.entry("AlignYourStepsScheduler", List.of("model_type", "steps", "denoise")),
            Map.entry("BetaSamplingScheduler", List.of("steps", "alpha", "beta")),
            Map.entry("CFGGuider", List.of("cfg")),
            Map.entry("DualCFGGuider", List.of("cfg_conds", "cfg_cond2_negative")),
            Map.entry("FluxGuidance", List.of("guidance")),
            Map.entry("CLIPTextEncode", List.of("text")),
            Map.entry("CLIPTextEncodeSDXL", List.of("width", "height", "crop_w", "crop_h", "target_width",
                    "target_height", "text_g", "text_l")),
            Map.entry("CLIPTextEncodeSDXLRefiner", List.of("ascore", "width", "height", "text")),
            Map.entry("CLIPTextEncodeFlux", List.of("clip_l", "t5xxl", "guidance")),
            Map.entry("CLIPTextEncodeSD3", List.of("clip_l", "clip_g", "t5xxl", "empty_padding")),
            Map.entry("CheckpointLoaderSimple", List.of("ckpt_name")),
            Map.entry("CheckpointLoader", List.of("config_name", "ckpt_name")),
            Map.entry("UNETLoader", List.of("unet_name", "weight_dtype")),
            Map.entry("UnetLoaderGGUF", List.of("unet_name")),
            Map.entry("DiffusersLoader", List.of("model_path")),
            Map.entry("LoraLoader", List.of("lora_name", "strength_model", "strength_clip")),
            Map.entry("LoraLoaderModelOnly", List.of("lora_name", "strength_model")),
            Map.entry("ModelSamplingDiscrete", List.of("sampling", "zsnr")),
            Map.entry("ModelSamplingFlux", List.of("max_shift", "base_shift", "width", "height")),
            Map.entry("ConditioningSetTimestepRange", List.of("start", "end")),
            Map.entry("ConditioningSetArea", List.of("width", "height", "x", "y", "strength")),
            Map.entry("ConditioningConcat", List.of()),
            Map.entry("ConditioningCombine", List.of()),
            Map.entry("ControlNetApply", List.of("strength")),
            Map.entry("ControlNetApplyAdvanced", List.of("strength", "start_percent", "end_percent")),
            Map.entry("EmptyLatentImage", List.of("width", "height", "batch_size")),
            Map.entry("EmptySD3LatentImage", List.of("width", "height", "batch_size")),
            Map.entry("LatentUpscale", List.of("upscale_method", "width", "height", "crop")),
            Map.entry("LatentUpscaleBy", List.of("upscale_method", "scale_by")),
            Map.entry("SaveImage", List.of("filename_prefix")),
            Map.entry("PrimitiveNode", List.of("value")),
            Map.entry("PrimitiveString", List.of("value")),
            Map.entry("PrimitiveStringMultiline", List.of("value")),
            Map.entry("PrimitiveInt", List.of("value")),
            Map.entry("PrimitiveFloat", List.of("value")),
            Map.entry("String Literal", List.of("string")),
            Map.entry("Text Multiline", List.of("text")),
            Map.entry("CR Text", List.of("text")));

    private ComfyWidgets() {
    }

    /** The widget names of a node type, or null when the type is not known here. */
    static List<String> names(String type) {
        return NAMES.get(type);
    }
}
