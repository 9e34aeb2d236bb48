package batchimage.lineage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The lineage in a ComfyUI UI-format workflow, the {@code workflow} chunk, read when the {@code prompt} chunk is
 * missing or unusable: {@code {"nodes": [{"id", "type", "mode", "inputs": [{"name", "type", "link"}],
 * "widgets_values": [...]}], "links": [[id, from node, from slot, to node, to slot, type]]}}.
 *
 * <p>The workflow is converted into the API-format graph {@link ComfyPromptGraph} reads: positional widget values
 * get their names ({@link ComfyWidgets}; unknown types get {@code widget_<i>}), links become
 * {@code ["<from node>", <from slot>]} on the input named by the target node's {@code inputs} entry (or, when the
 * node lists no inputs, by the link's type in lower case). Reroute and bypassed (mode 4) nodes are passed through;
 * muted (mode 2) nodes and notes are left out.
 */
public final class ComfyWorkflow {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One link: output {@code fromSlot} of {@code from} into input {@code toSlot} of {@code to}. */
    private record Link(long id, String from, int fromSlot, String to, int toSlot, String type) {
    }

    private final Map<String, JsonNode> nodes = new LinkedHashMap<>();
    private final Map<Long, Link> links = new HashMap<>();
    private final List<String> problems = new ArrayList<>();

    private ComfyWorkflow(JsonNode root) {
        for (JsonNode node : root.path("nodes")) {
            if (node.has("id") && node.has("type")) {
                nodes.put(node.get("id").asText(), node);
            }
        }
        for (JsonNode link : root.path("links")) {
            Link parsed = parseLink(link);
            if (parsed != null) {
                links.put(parsed.id(), parsed);
            }
        }
    }

    /**
     * Parses the text of a {@code workflow} chunk.
     *
     * @throws IllegalArgumentException when it is not JSON or has no {@code nodes} list
     */
    public static ComfyWorkflow parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.path("nodes").isArray()) {
            throw new IllegalArgumentException("not a workflow: no 'nodes' list");
        }
        return new ComfyWorkflow(root);
    }

    /** The lineage of this workflow, read like a prompt graph; conversion problems follow the graph's problems. */
    public Lineage lineage() {
        ObjectNode graph = toPromptGraph();
        return ComfyPromptGraph.of(graph).lineage().withProblems(problems);
    }

    /** This workflow as an API-format graph. */
    public ObjectNode toPromptGraph() {
        problems.clear();
        ObjectNode graph = NODES.objectNode();
        Map<String, List<Link>> incoming = new HashMap<>();
        links.values().forEach(l -> incoming.computeIfAbsent(l.to(), k -> new ArrayList<>()).add(l));
        for (Map.Entry<String, JsonNode> e : nodes.entrySet()) {
            JsonNode node = e.getValue();
            String type = node.path("type").asText();
            int mode = node.path("mode").asInt(0);
            if (mode == 2 || mode == 4 || type.equals("Reroute") || type.equals("Note")
                    || type.equals("MarkdownNote")) {
                continue;
            }
            ObjectNode inputs = NODES.objectNode();
            widgets(type, node.get("widgets_values"), inputs);
            List<Link> into = new ArrayList<>(incoming.getOrDefault(e.getKey(), List.of()));
            into.sort((a, b) -> Long.compare(a.id(), b.id()));
            for (Link link : into) {
                String[] source = source(link);
                if (source != null) {
                    ArrayNode value = NODES.arrayNode().add(source[0]).add(Integer.parseInt(source[1]));
                    inputs.set(inputName(node, link), value);
                }
            }
            for (JsonNode input : node.path("inputs")) {
                JsonNode id = input.get("link");
                if (id != null && id.isIntegralNumber() && !links.containsKey(id.asLong())) {
                    problems.add("workflow node " + e.getKey() + " (" + type + ") input '"
                            + input.path("name").asText() + "' uses link " + id.asLong() + ", which is not in 'links'");
                }
            }
            ObjectNode apiNode = NODES.objectNode();
            apiNode.put("class_type", type);
            apiNode.set("inputs", inputs);
            graph.set(e.getKey(), apiNode);
        }
        return graph;
    }

    /** Named widget values of a node into {@code inputs}. */
    private static void widgets(String type, JsonNode values, ObjectNode inputs) {
        if (values == null) {
            return;
        }
        if (values.isObject()) {
            values.fields().forEachRemaining(f -> inputs.set(f.getKey(), f.getValue()));
            return;
        }
        List<String> names = ComfyWidgets.names(type);
        boolean encoder = names == null && type.contains("TextEncode");
        int next = 0;
        String previous = null;
        for (int i = 0; i < values.size(); i++) {
            JsonNode value = values.get(i);
            if (previous != null && ComfyWidgets.SEED_WIDGETS.contains(previous) && value.isTextual()
                    && ComfyWidgets.SEED_CONTROLS.contains(value.asText())) {
                previous = null;
                continue;
            }
            String name;
            if (names != null) {
                if (next >= names.size()) {
                    break;
                }
                name = names.get(next++);
            } else if (encoder && value.isTextual() && !inputs.has("text")) {
                name = "text";
            } else {
                name = "widget_" + i;
            }
            inputs.set(name, value);
            previous = name;
        }
    }

    /** The name of the input a link goes into: from the node's inputs list, else the link's type. */
    private static String inputName(JsonNode node, Link link) {
        JsonNode inputs = node.path("inputs");
        for (JsonNode input : inputs) {
            if (input.path("link").isIntegralNumber() && input.path("link").asLong() == link.id()
                    && input.hasNonNull("name")) {
                return input.get("name").asText();
            }
        }
        JsonNode bySlot = inputs.path(link.toSlot());
        if (bySlot.hasNonNull("name") && !bySlot.path("link").isIntegralNumber()) {
            return bySlot.get("name").asText();
        }
        return link.type() == null || link.type().isEmpty() ? "input_" + link.toSlot()
                : link.type().toLowerCase(Locale.ROOT);
    }

    /** The real source of a link, through Reroute and bypassed nodes: {node id, slot}, or null. */
    private String[] source(Link link) {
        Set<String> seen = new HashSet<>();
        Link current = link;
        while (current != null && seen.add(current.from())) {
            JsonNode from = nodes.get(current.from());
            if (from == null) {
                return new String[] {current.from(), Integer.toString(current.fromSlot())};
            }
            String type = from.path("type").asText();
            boolean passThrough = type.equals("Reroute") || from.path("mode").asInt(0) == 4;
            if (!passThrough) {
                return new String[] {current.from(), Integer.toString(current.fromSlot())};
            }
            current = passedInput(from, current.type());
        }
        problems.add("workflow link " + link.id() + " loops through reroute or bypassed nodes");
        return null;
    }

    /** The link into a pass-through node that its output of {@code type} passes on (same type, else the first). */
    private Link passedInput(JsonNode node, String type) {
        Link first = null;
        String id = node.path("id").asText();
        for (Link l : links.values()) {
            if (l.to().equals(id)) {
                if (type != null && type.equals(l.type())) {
                    return l;
                }
                if (first == null || l.toSlot() < first.toSlot()) {
                    first = l;
                }
            }
        }
        return first;
    }

    private static Link parseLink(JsonNode link) {
        if (link.isArray() && link.size() >= 5) {
            return new Link(link.get(0).asLong(), link.get(1).asText(), link.get(2).asInt(), link.get(3).asText(),
                    link.get(4).asInt(), link.path(5).asText(""));
        }
        if (link.isObject() && link.has("origin_id") && link.has("target_id")) {
            return new Link(link.path("id").asLong(), link.get("origin_id").asText(), link.path("origin_slot").asInt(),
                    link.get("target_id").asText(), link.path("target_slot").asInt(), link.path("type").asText(""));
        }
        return null;
    }
}
