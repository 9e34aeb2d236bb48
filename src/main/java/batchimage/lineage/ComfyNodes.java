package batchimage.lineage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An API-format ComfyUI graph ({@code {"<id>": {"class_type", "inputs"}}}) with the lookups the walks need: a
 * node's class and inputs, whether an input is a link {@code ["<node id>", <output index>]}, and a literal value
 * resolved through links to primitive/string nodes. Never throws on a malformed graph: what is missing is null.
 */
final class ComfyNodes {

    /** A link from an input to output {@code slot} of node {@code node}. */
    record Link(String node, int slot) {
    }

    private static final ObjectNode EMPTY = JsonNodeFactory.instance.objectNode();

    private final Map<String, ObjectNode> nodes = new LinkedHashMap<>();

    ComfyNodes(JsonNode graph) {
        if (graph != null && graph.isObject()) {
            graph.fields().forEachRemaining(e -> {
                if (e.getValue().isObject()) {
                    nodes.put(e.getKey(), (ObjectNode) e.getValue());
                }
            });
        }
    }

    /** Node ids in JSON order. */
    List<String> ids() {
        return new ArrayList<>(nodes.keySet());
    }

    boolean exists(String id) {
        return nodes.containsKey(id);
    }

    /** The node's {@code class_type}, or "" when it has none. */
    String classType(String id) {
        ObjectNode node = nodes.get(id);
        JsonNode type = node == null ? null : node.get("class_type");
        return type != null && type.isTextual() ? type.asText() : "";
    }

    /** The node's inputs (empty when missing). */
    ObjectNode inputs(String id) {
        ObjectNode node = nodes.get(id);
        JsonNode inputs = node == null ? null : node.get("inputs");
        return inputs != null && inputs.isObject() ? (ObjectNode) inputs : EMPTY;
    }

    /** "12 (KSampler)", for problems. */
    String describe(String id) {
        String type = classType(id);
        return "node " + id + (type.isEmpty() ? "" : " (" + type + ")");
    }

    /** The link an input value is, or null when it is a literal. */
    static Link link(JsonNode value) {
        if (value == null || !value.isArray() || value.size() != 2) {
            return null;
        }
        JsonNode node = value.get(0);
        JsonNode slot = value.get(1);
        if (!(node.isTextual() || node.isIntegralNumber()) || !slot.isIntegralNumber()) {
            return null;
        }
        return new Link(node.asText(), slot.asInt());
    }

    /** The input {@code name} of node {@code id} as a link, or null. */
    Link linkOf(String id, String name) {
        return link(inputs(id).get(name));
    }

    /** Linked inputs of a node in JSON order: input name → link. */
    Map<String, Link> links(String id) {
        Map<String, Link> links = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = inputs(id).fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Link link = link(e.getValue());
            if (link != null) {
                links.put(e.getKey(), link);
            }
        }
        return links;
    }

    /** The input as a string: a literal, or the first string-valued input of the node it links to (recursively). */
    String string(JsonNode value, WalkBudget budget) {
        JsonNode literal = resolve(value, JsonNode::isTextual, List.of("value", "string", "text", "Text", "prompt",
                "STRING", "text_positive", "string_a"), budget);
        return literal == null ? null : literal.asText();
    }

    /** The named input of a node as a string, see {@link #string(JsonNode, WalkBudget)}. */
    String string(String id, String name, WalkBudget budget) {
        return string(inputs(id).get(name), budget);
    }

    /** The input as a number: a literal (or numeric string), or the number a primitive node it links to holds. */
    JsonNode number(JsonNode value, WalkBudget budget) {
        return resolve(value, ComfyNodes::numeric, List.of("value", "seed", "noise_seed", "int", "float", "number",
                "steps", "cfg"), budget);
    }

    Long longValue(String id, String name, WalkBudget budget, LineageDraft draft) {
        JsonNode n = number(inputs(id).get(name), budget);
        if (n == null) {
            return null;
        }
        BigInteger big;
        try {
            big = n.isTextual() ? new BigDecimal(n.asText().trim()).toBigInteger()
                    : n.isIntegralNumber() ? n.bigIntegerValue() : n.decimalValue().toBigInteger();
        } catch (NumberFormatException e) {
            draft.problem(describe(id) + " input '" + name + "' " + n + " is not an integer");
            return null;
        }
        if (big.bitLength() > 63) {
            draft.problem(describe(id) + " input '" + name + "' " + big + " does not fit a 64-bit signed integer");
            return null;
        }
        return big.longValue();
    }

    Integer intValue(String id, String name, WalkBudget budget) {
        JsonNode n = number(inputs(id).get(name), budget);
        return n == null ? null : n.isTextual() ? (int) Double.parseDouble(n.asText().trim()) : n.asInt();
    }

    Double doubleValue(String id, String name, WalkBudget budget) {
        JsonNode n = number(inputs(id).get(name), budget);
        return n == null ? null : n.isTextual() ? Double.parseDouble(n.asText().trim()) : n.asDouble();
    }

    private static boolean numeric(JsonNode n) {
        if (n.isNumber()) {
            return !n.isDouble() || Double.isFinite(n.asDouble());
        }
        if (!n.isTextual()) {
            return false;
        }
        try {
            return Double.isFinite(Double.parseDouble(n.asText().trim()));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Follows links from {@code value} until a literal {@code accept} takes: at each linked node the preferred
     * input names first, then its first input that is accepted or a link. Bounded by the budget and a visited set.
     */
    private JsonNode resolve(JsonNode value, Predicate<JsonNode> accept, List<String> preferred, WalkBudget budget) {
        Set<String> seen = new HashSet<>();
        JsonNode current = value;
        while (current != null && !current.isNull()) {
            Link link = link(current);
            if (link == null) {
                return accept.test(current) ? current : null;
            }
            if (!budget.step() || !seen.add(link.node()) || !exists(link.node())) {
                return null;
            }
            ObjectNode inputs = inputs(link.node());
            JsonNode next = null;
            for (String name : preferred) {
                JsonNode candidate = inputs.get(name);
                if (candidate != null && (accept.test(candidate) || link(candidate) != null)) {
                    next = candidate;
                    break;
                }
            }
            if (next == null) {
                for (Iterator<JsonNode> it = inputs.elements(); it.hasNext() && next == null; ) {
                    JsonNode candidate = it.next();
                    if (accept.test(candidate) || link(candidate) != null) {
                        next = candidate;
                    }
                }
            }
            current = next;
        }
        return null;
    }

    /** {@code KarrasScheduler} minus suffix → {@code karras}; {@code SDTurbo} → {@code sd_turbo}. */
    static String snake(String camel) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                char before = camel.charAt(i - 1);
                boolean nextLower = i + 1 < camel.length() && Character.isLowerCase(camel.charAt(i + 1));
                if (Character.isLowerCase(before) || (Character.isUpperCase(before) && nextLower)) {
                    out.append('_');
                }
            }
            out.append(Character.toLowerCase(c));
        }
        return out.toString().replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
    }
}
