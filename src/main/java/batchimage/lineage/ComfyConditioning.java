package batchimage.lineage;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The prompt text behind a conditioning input of a ComfyUI sampler or guider: follows links through any
 * conditioning node (combine, concat, set area, timestep range, ControlNet, FluxGuidance...) to the text encoders,
 * and returns their texts in graph order (inputs walked in their JSON order), one per line, each once.
 *
 * <p>A node with both {@code positive} and {@code negative} inputs (ControlNetApplyAdvanced and the like) is
 * followed along the one its output slot stands for: slot 0 → positive, slot 1 → negative. An unknown node with no
 * conditioning-like input is followed along all its linked inputs but model, clip, vae, image and latent ones.
 */
final class ComfyConditioning {

    /** Text inputs of the encoders whose text is not simply {@code text}. */
    private static final Map<String, List<String>> ENCODER_INPUTS = Map.of(
            "CLIPTextEncodeSDXL", List.of("text_g", "text_l"),
            "CLIPTextEncodeFlux", List.of("clip_l", "t5xxl"),
            "CLIPTextEncodeSD3", List.of("clip_l", "clip_g", "t5xxl"),
            "CLIPTextEncodeHunyuanDiT", List.of("bert", "mt5xl"));

    private static final Set<String> NOT_CONDITIONING = Set.of("clip", "model", "vae", "control_net", "image",
            "images", "pixels", "mask", "samples", "latent", "latent_image", "clip_vision", "style_model",
            "upscale_model", "noise", "sampler", "sigmas");

    private final ComfyNodes graph;
    private final WalkBudget budget;
    private final LineageDraft draft;

    ComfyConditioning(ComfyNodes graph, WalkBudget budget, LineageDraft draft) {
        this.graph = graph;
        this.budget = budget;
        this.draft = draft;
    }

    /**
     * The texts behind {@code input} ({@code role} names it in problems: "positive", "negative"), or null with a
     * problem when no text encoder is found.
     */
    String text(JsonNode input, String role, String owner) {
        ComfyNodes.Link start = ComfyNodes.link(input);
        if (start == null) {
            if (input != null && input.isTextual()) {
                return input.asText();
            }
            draft.problem("no " + role + " prompt found: " + owner + " has no linked '" + role + "' input");
            return null;
        }
        Set<String> texts = new LinkedHashSet<>();
        Set<String> visited = new HashSet<>();
        Deque<ComfyNodes.Link> stack = new ArrayDeque<>();
        stack.push(start);
        boolean encoderFound = false;
        while (!stack.isEmpty()) {
            ComfyNodes.Link link = stack.pop();
            String id = link.node();
            if (!graph.exists(id) || !visited.add(id + "#" + link.slot()) || !budget.step()) {
                continue;
            }
            String type = graph.classType(id);
            List<String> encoderInputs = encoderInputs(id, type);
            if (!encoderInputs.isEmpty()) {
                encoderFound = true;
                for (String name : encoderInputs) {
                    String text = graph.string(id, name, budget);
                    if (text == null) {
                        draft.problem("could not resolve input '" + name + "' of " + graph.describe(id)
                                + " to a text");
                    } else {
                        texts.add(text.strip());
                    }
                }
                continue;
            }
            List<ComfyNodes.Link> next = next(id, link.slot());
            Collections.reverse(next);
            next.forEach(stack::push);
        }
        if (!encoderFound) {
            draft.problem("no " + role + " prompt found: no text encoder reachable from " + owner + " input '"
                    + role + "'");
            return null;
        }
        List<String> lines = new ArrayList<>(texts);
        if (lines.stream().anyMatch(t -> !t.isEmpty())) {
            lines.removeIf(String::isEmpty);
        }
        return lines.isEmpty() ? null : String.join("\n", lines);
    }

    /** The text inputs of a text encoder node, or an empty list when the node is no encoder. */
    private List<String> encoderInputs(String id, String type) {
        List<String> known = ENCODER_INPUTS.get(type);
        if (known != null) {
            return known;
        }
        if (!type.contains("TextEncode")) {
            return List.of();
        }
        var inputs = graph.inputs(id);
        if (inputs.has("text")) {
            return List.of("text");
        }
        List<String> named = new ArrayList<>();
        inputs.fieldNames().forEachRemaining(name -> {
            if (name.toLowerCase(Locale.ROOT).startsWith("text") || name.equals("prompt")) {
                named.add(name);
            }
        });
        return named;
    }

    /** The links to follow out of a non-encoder node reached through output {@code slot}. */
    private List<ComfyNodes.Link> next(String id, int slot) {
        Map<String, ComfyNodes.Link> links = graph.links(id);
        if (links.containsKey("positive") && links.containsKey("negative")) {
            ComfyNodes.Link chosen = links.get(slot == 1 ? "negative" : "positive");
            return new ArrayList<>(List.of(chosen));
        }
        List<ComfyNodes.Link> conditioning = new ArrayList<>();
        List<ComfyNodes.Link> other = new ArrayList<>();
        links.forEach((name, link) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.contains("conditioning") || lower.startsWith("cond") || lower.equals("positive")
                    || lower.equals("negative") || lower.equals("guider")) {
                conditioning.add(link);
            } else if (!NOT_CONDITIONING.contains(lower) && !lower.startsWith("latent")) {
                other.add(link);
            }
        });
        return conditioning.isEmpty() ? other : conditioning;
    }
}
