package batchimage.lineage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What generated an image, as read from the text chunks of its PNG: the generator ({@code comfyui}, {@code a1111}
 * or {@code invokeai}), the prompts, the sampling settings, the model and its LoRAs, the size of the image (always
 * from the PNG's IHDR, never from the metadata) and the file it was read from.
 *
 * <p>{@code workflow} holds the raw ComfyUI JSON (the {@code workflow} chunk, or the {@code prompt} graph when there
 * is no workflow; {@code null} for other generators). {@code problems} says, in plain words, why a field could not
 * be read (a cycle, a dangling reference, no prompt found...); it is empty when everything was read.
 *
 * @param loras in the order they apply: from the checkpoint outward (ComfyUI), or in prompt order (A1111)
 */
public record Lineage(
        String generator,
        String prompt,
        String negativePrompt,
        Long seed,
        Integer steps,
        Double cfg,
        String sampler,
        String scheduler,
        String model,
        List<Lora> loras,
        Integer width,
        Integer height,
        String source,
        String workflow,
        List<String> problems) {

    /** Generator name of ComfyUI images. */
    public static final String COMFYUI = "comfyui";
    /** Generator name of Automatic1111 / Forge / SD.Next images. */
    public static final String A1111 = "a1111";
    /** Generator name of InvokeAI images. */
    public static final String INVOKEAI = "invokeai";

    /** A LoRA applied to the model, with its (model) strength; {@code strength} is null when unknown. */
    public record Lora(String name, Double strength) {

        /** The API shape {@code {name, strength}}. */
        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("name", name);
            map.put("strength", strength);
            return map;
        }
    }

    public Lineage {
        loras = loras == null ? List.of() : List.copyOf(loras);
        problems = problems == null ? List.of() : List.copyOf(problems);
    }

    /** This lineage with the size of the image and the file it came from. */
    public Lineage withImage(Integer width, Integer height, String source) {
        return new Lineage(generator, prompt, negativePrompt, seed, steps, cfg, sampler, scheduler, model, loras,
                width, height, source, workflow, problems);
    }

    /** This lineage with more problems added after the ones it has. */
    public Lineage withProblems(List<String> more) {
        if (more.isEmpty()) {
            return this;
        }
        List<String> all = new ArrayList<>(problems);
        all.addAll(more);
        return new Lineage(generator, prompt, negativePrompt, seed, steps, cfg, sampler, scheduler, model, loras,
                width, height, source, workflow, all);
    }

    /**
     * The API shape: {@code {generator, prompt, negative_prompt, seed, steps, cfg, sampler, scheduler, model,
     * loras: [{name, strength}], width, height, source}}, snake_case keys in that order, null values kept.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("generator", generator);
        map.put("prompt", prompt);
        map.put("negative_prompt", negativePrompt);
        map.put("seed", seed);
        map.put("steps", steps);
        map.put("cfg", cfg);
        map.put("sampler", sampler);
        map.put("scheduler", scheduler);
        map.put("model", model);
        map.put("loras", loras.stream().map(Lora::toMap).toList());
        map.put("width", width);
        map.put("height", height);
        map.put("source", source);
        return map;
    }
}
