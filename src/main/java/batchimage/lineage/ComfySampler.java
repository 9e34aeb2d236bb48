package batchimage.lineage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * Finds the sampler nearest an output node of a ComfyUI graph (breadth first along linked inputs, in JSON order)
 * and reads its settings: {@code KSampler}, {@code KSamplerAdvanced} and look-alikes directly; {@code SamplerCustom}
 * through its {@code sampler} and {@code sigmas} nodes; {@code SamplerCustomAdvanced} through {@code noise}
 * ({@code RandomNoise}), {@code guider} ({@code CFGGuider}, {@code BasicGuider}, {@code DualCFGGuider}...),
 * {@code sampler} ({@code KSamplerSelect}) and {@code sigmas} ({@code BasicScheduler} or a scheduler node such as
 * {@code KarrasScheduler}, whose name then names the scheduler).
 */
final class ComfySampler {

    /** What a sampler says, with the inputs its prompts and model come from (links, or null). */
    record Settings(String id, Long seed, Integer steps, Double cfg, String sampler, String scheduler,
                    JsonNode positive, JsonNode negative, JsonNode model, String owner) {
    }

    private final ComfyNodes graph;
    private final WalkBudget budget;
    private final LineageDraft draft;

    ComfySampler(ComfyNodes graph, WalkBudget budget, LineageDraft draft) {
        this.graph = graph;
        this.budget = budget;
        this.draft = draft;
    }

    /** Whether node {@code id} samples: a known sampler, or a node with a linked positive or guider input. */
    boolean isSampler(String id) {
        String type = graph.classType(id);
        if (type.equals("KSamplerSelect")) {
            return false;
        }
        if (type.equals("KSampler") || type.equals("KSamplerAdvanced") || type.equals("SamplerCustom")
                || type.equals("SamplerCustomAdvanced")) {
            return true;
        }
        boolean conditioned = graph.linkOf(id, "positive") != null && graph.linkOf(id, "model") != null;
        boolean guided = graph.linkOf(id, "guider") != null && graph.linkOf(id, "sigmas") != null;
        return (type.contains("Sampler") && conditioned) || guided;
    }

    /** The id of the sampler nearest {@code output}, or null. */
    String nearest(String output) {
        Deque<String> queue = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        queue.add(output);
        seen.add(output);
        while (!queue.isEmpty() && budget.step()) {
            String id = queue.poll();
            if (!id.equals(output) && isSampler(id)) {
                return id;
            }
            for (ComfyNodes.Link link : graph.links(id).values()) {
                if (graph.exists(link.node()) && seen.add(link.node())) {
                    queue.add(link.node());
                }
            }
        }
        return null;
    }

    /** The settings of sampler {@code id}. */
    Settings read(String id) {
        String type = graph.classType(id);
        ObjectNode in = graph.inputs(id);
        String owner = graph.describe(id);
        return switch (type) {
            case "SamplerCustom" -> new Settings(id, graph.longValue(id, "noise_seed", budget, draft),
                    stepsOf(in.get("sigmas")), graph.doubleValue(id, "cfg", budget), samplerOf(in.get("sampler")),
                    schedulerOf(in.get("sigmas")), in.get("positive"), in.get("negative"), in.get("model"), owner);
            case "SamplerCustomAdvanced" -> custom(id, in, owner);
            default -> new Settings(id, seed(id, in), graph.intValue(id, "steps", budget),
                    graph.doubleValue(id, "cfg", budget), graph.string(id, "sampler_name", budget),
                    graph.string(id, "scheduler", budget), in.get("positive"), in.get("negative"), in.get("model"),
                    owner);
        };
    }

    private Long seed(String id, ObjectNode in) {
        return graph.longValue(id, in.has("seed") ? "seed" : "noise_seed", budget, draft);
    }

    private Settings custom(String id, ObjectNode in, String owner) {
        Long seed = null;
        ComfyNodes.Link noise = ComfyNodes.link(in.get("noise"));
        if (noise != null && graph.exists(noise.node())) {
            seed = seed(noise.node(), graph.inputs(noise.node()));
        } else {
            draft.problem("no seed found: " + owner + " has no linked 'noise' node");
        }
        ComfyNodes.Link guider = ComfyNodes.link(in.get("guider"));
        JsonNode positive = null;
        JsonNode negative = null;
        JsonNode model = null;
        Double cfg = null;
        String guiderOwner = owner;
        if (guider != null && graph.exists(guider.node())) {
            String g = guider.node();
            ObjectNode gin = graph.inputs(g);
            guiderOwner = graph.describe(g);
            positive = first(gin, "positive", "conditioning", "cond1", "cond");
            negative = gin.get("negative");
            model = gin.get("model");
            cfg = gin.has("cfg") ? graph.doubleValue(g, "cfg", budget)
                    : gin.has("cfg_conds") ? graph.doubleValue(g, "cfg_conds", budget) : null;
        } else {
            draft.problem("no prompt found: " + owner + " has no linked 'guider' node");
        }
        return new Settings(id, seed, stepsOf(in.get("sigmas")), cfg, samplerOf(in.get("sampler")),
                schedulerOf(in.get("sigmas")), positive, negative, model, guiderOwner);
    }

    private static JsonNode first(ObjectNode inputs, String... names) {
        for (String name : names) {
            if (inputs.has(name)) {
                return inputs.get(name);
            }
        }
        return null;
    }

    /** {@code sampler_name} of the KSamplerSelect-like node, or {@code SamplerEulerAncestral} → euler_ancestral. */
    private String samplerOf(JsonNode input) {
        ComfyNodes.Link link = ComfyNodes.link(input);
        if (link == null || !graph.exists(link.node())) {
            return null;
        }
        String id = link.node();
        if (graph.inputs(id).has("sampler_name")) {
            return graph.string(id, "sampler_name", budget);
        }
        String type = graph.classType(id);
        return type.startsWith("Sampler") && type.length() > "Sampler".length()
                ? ComfyNodes.snake(type.substring("Sampler".length())) : null;
    }

    /** The node that makes the sigmas: the first one along {@code sigmas} links that has a {@code steps} input. */
    private String sigmasNode(JsonNode input) {
        Set<String> seen = new HashSet<>();
        ComfyNodes.Link link = ComfyNodes.link(input);
        while (link != null && graph.exists(link.node()) && seen.add(link.node()) && budget.step()) {
            if (graph.inputs(link.node()).has("steps")) {
                return link.node();
            }
            link = graph.linkOf(link.node(), "sigmas");
        }
        return null;
    }

    private Integer stepsOf(JsonNode sigmas) {
        String id = sigmasNode(sigmas);
        return id == null ? null : graph.intValue(id, "steps", budget);
    }

    /** The {@code scheduler} input of the sigmas node, or its type: {@code KarrasScheduler} → karras. */
    private String schedulerOf(JsonNode sigmas) {
        String id = sigmasNode(sigmas);
        if (id == null) {
            return null;
        }
        if (graph.inputs(id).has("scheduler")) {
            return graph.string(id, "scheduler", budget);
        }
        String type = graph.classType(id);
        String name = type.endsWith("Scheduler") ? type.substring(0, type.length() - "Scheduler".length()) : type;
        return name.isEmpty() ? null : ComfyNodes.snake(name);
    }
}
