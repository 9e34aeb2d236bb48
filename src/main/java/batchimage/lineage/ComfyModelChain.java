package batchimage.lineage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The model behind a sampler's (or guider's) {@code model} input in a ComfyUI graph: follows the {@code model}
 * links back through LoRA loaders (collecting {@code lora_name} and {@code strength_model}) and model patches
 * ({@code ModelSamplingDiscrete}, {@code ModelSamplingFlux}, any node with a linked {@code model} input) to the
 * loader, whose file name is the model ({@code ckpt_name}, {@code unet_name}, {@code model_name}..., or its first
 * string input naming a .safetensors/.ckpt/.gguf/.pt/.bin file).
 *
 * <p>LoRAs are listed from the checkpoint outward: the one applied to the checkpoint first, the one nearest the
 * sampler last.
 */
final class ComfyModelChain {

    private static final List<String> NAME_INPUTS = List.of("ckpt_name", "unet_name", "model_name", "model_path",
            "gguf_name", "model");
    private static final List<String> EXTENSIONS = List.of(".safetensors", ".ckpt", ".gguf", ".pt", ".pth", ".bin",
            ".sft");

    private final ComfyNodes graph;
    private final WalkBudget budget;
    private final LineageDraft draft;

    ComfyModelChain(ComfyNodes graph, WalkBudget budget, LineageDraft draft) {
        this.graph = graph;
        this.budget = budget;
        this.draft = draft;
    }

    /** Fills in the draft's model and LoRAs from the {@code model} input of {@code owner}. */
    void read(JsonNode modelInput, String owner) {
        ComfyNodes.Link link = ComfyNodes.link(modelInput);
        if (link == null) {
            draft.problem("no model found: " + owner + " has no linked 'model' input");
            return;
        }
        List<Lineage.Lora> backward = new ArrayList<>();
        Set<String> visited = new HashSet<>();
        while (link != null) {
            String id = link.node();
            if (!graph.exists(id) || !visited.add(id) || !budget.step()) {
                draft.problem("no model found: the model chain of " + owner + " ends at a missing or repeated node "
                        + id);
                break;
            }
            String type = graph.classType(id);
            ObjectNode inputs = graph.inputs(id);
            if (type.toLowerCase(Locale.ROOT).contains("lora") && inputs.has("lora_name")) {
                backward.add(new Lineage.Lora(graph.string(id, "lora_name", budget), strength(id, inputs)));
            }
            ComfyNodes.Link next = modelLink(id);
            if (next == null && !type.toLowerCase(Locale.ROOT).contains("lora")) {
                draft.model = modelName(id, inputs);
                if (draft.model == null) {
                    draft.problem("no model found: " + graph.describe(id) + " names no model file");
                }
            } else if (next == null) {
                draft.problem("no model found: " + graph.describe(id) + " has no linked 'model' input");
            }
            link = next;
        }
        Collections.reverse(backward);
        draft.loras.addAll(backward);
    }

    private Double strength(String id, ObjectNode inputs) {
        for (String name : List.of("strength_model", "strength", "weight", "lora_strength")) {
            if (inputs.has(name)) {
                return graph.doubleValue(id, name, budget);
            }
        }
        return null;
    }

    /** The {@code model} link, or the first linked input whose name starts with "model" (model1 of a merge). */
    private ComfyNodes.Link modelLink(String id) {
        Map<String, ComfyNodes.Link> links = graph.links(id);
        if (links.containsKey("model")) {
            return links.get("model");
        }
        return links.entrySet().stream().filter(e -> e.getKey().toLowerCase(Locale.ROOT).startsWith("model"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
    }

    private String modelName(String id, ObjectNode inputs) {
        for (String name : NAME_INPUTS) {
            if (inputs.has(name)) {
                String value = graph.string(id, name, budget);
                if (value != null && !value.isBlank()) {
                    return value;
                }
            }
        }
        for (Iterator<JsonNode> it = inputs.elements(); it.hasNext(); ) {
            JsonNode value = it.next();
            if (value.isTextual()) {
                String lower = value.asText().toLowerCase(Locale.ROOT);
                if (EXTENSIONS.stream().anyMatch(lower::endsWith)) {
                    return value.asText();
                }
            }
        }
        return null;
    }
}
