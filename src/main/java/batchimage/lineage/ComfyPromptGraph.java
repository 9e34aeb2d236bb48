package batchimage.lineage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * The lineage in a ComfyUI API-format graph, the {@code prompt} chunk:
 * {@code {"<node id>": {"class_type": "...", "inputs": {...}}}}, where an input is a literal or a link
 * {@code ["<source node id>", <output index>]}.
 *
 * <p>The walk starts at the output node (a {@code SaveImage}, else a {@code PreviewImage}, else any node with a
 * linked {@code images} input), goes back to the nearest sampler (see {@link ComfySampler}) for seed, steps, cfg,
 * sampler and scheduler, follows its positive and negative inputs to the text encoders (see
 * {@link ComfyConditioning}) and its model input to the loader (see {@link ComfyModelChain}). With several samplers
 * chained (hires fix, base + refiner), everything comes from the one nearest the output. Width and height are not
 * read here: they come from the PNG.
 *
 * <p>Every walk is bounded ({@value WalkBudget#MAX_STEPS} steps and visited sets); cycles and dangling references
 * are reported in {@link Lineage#problems()}, never followed forever, never thrown.
 */
public final class ComfyPromptGraph {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ComfyNodes graph;
    private final String raw;

    private ComfyPromptGraph(JsonNode graph, String raw) {
        this.graph = new ComfyNodes(graph);
        this.raw = raw;
    }

    /**
     * Parses the text of a {@code prompt} chunk.
     *
     * @throws IllegalArgumentException when it is not a JSON object
     */
    public static ComfyPromptGraph parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object of nodes");
        }
        return new ComfyPromptGraph(root, json);
    }

    /** A graph already parsed (the API-format object). */
    static ComfyPromptGraph of(JsonNode graph) {
        return new ComfyPromptGraph(graph, null);
    }

    /** The text this graph was parsed from, or null when it was built. */
    public String raw() {
        return raw;
    }

    /**
     * The lineage this graph describes: generator {@code comfyui}, no size, no source, no workflow text (the caller
     * adds those); what could not be read is in its problems.
     */
    public Lineage lineage() {
        LineageDraft draft = new LineageDraft();
        WalkBudget budget = new WalkBudget(draft, WalkBudget.MAX_STEPS);
        ComfySampler samplers = new ComfySampler(graph, budget, draft);
        String sampler = null;
        List<String> outputs = outputs();
        if (outputs.isEmpty()) {
            draft.problem("no output node (SaveImage, PreviewImage or a node with an 'images' input)");
        }
        for (String output : outputs) {
            sampler = samplers.nearest(output);
            if (sampler != null) {
                ComfyGraphCheck.check(graph, output, draft);
                break;
            }
        }
        if (sampler == null) {
            if (!outputs.isEmpty()) {
                draft.problem("no sampler reachable from " + graph.describe(outputs.get(0)));
                ComfyGraphCheck.check(graph, outputs.get(0), draft);
            }
            sampler = lastSampler(samplers);
            if (sampler != null) {
                ComfyGraphCheck.check(graph, sampler, draft);
            }
        }
        if (sampler == null) {
            draft.problem("no sampler found in the graph");
            return draft.toLineage(Lineage.COMFYUI, null);
        }
        ComfySampler.Settings settings = samplers.read(sampler);
        draft.seed = settings.seed();
        draft.steps = settings.steps();
        draft.cfg = settings.cfg();
        draft.sampler = settings.sampler();
        draft.scheduler = settings.scheduler();
        ComfyConditioning conditioning = new ComfyConditioning(graph, budget, draft);
        draft.prompt = conditioning.text(settings.positive(), "positive", settings.owner());
        if (settings.negative() != null) {
            draft.negativePrompt = conditioning.text(settings.negative(), "negative", settings.owner());
        }
        new ComfyModelChain(graph, budget, draft).read(settings.model(), settings.owner());
        return draft.toLineage(Lineage.COMFYUI, null);
    }

    /** Output nodes, best first: SaveImage ones, then PreviewImage ones, then others with a linked images input. */
    private List<String> outputs() {
        List<String> save = new ArrayList<>();
        List<String> preview = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (String id : graph.ids()) {
            String type = graph.classType(id);
            if (type.equals("SaveImage")) {
                save.add(id);
            } else if (type.equals("PreviewImage")) {
                preview.add(id);
            } else if (graph.linkOf(id, "images") != null) {
                other.add(id);
            }
        }
        save.addAll(preview);
        save.addAll(other);
        return save;
    }

    /** Without a usable output: the first sampler no other sampler is downstream of. */
    private String lastSampler(ComfySampler samplers) {
        List<String> all = graph.ids().stream().filter(samplers::isSampler).toList();
        for (String candidate : all) {
            boolean feedsAnother = false;
            for (String other : all) {
                if (!other.equals(candidate) && candidate.equals(samplers.nearest(other))) {
                    feedsAnother = true;
                    break;
                }
            }
            if (!feedsAnother) {
                return candidate;
            }
        }
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }
}
