package batchimage.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a record puts into each namespace (DESIGN.md "Records"): the text embedded for {@code prompt}
 * (the old {@code extract_prompt_from_json}, kept compatible) and for {@code description} (the tags),
 * and the vector metadata of the old system.
 */
public final class IndexTexts {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ORIGINAL_PROMPT_CHARS = 500;
    private static final int DESCRIPTION_CHARS = 8000;

    private IndexTexts() {
    }

    /** The prompt's text: JSON is read as the old script did; objects become "key: value" lines. */
    public static String promptText(String prompt) {
        if (prompt == null || prompt.isBlank()) {
            return "";
        }
        JsonNode node;
        try {
            node = JSON.readTree(prompt);
        } catch (IOException e) {
            return prompt.strip();
        }
        if (node == null || node.isMissingNode()) {
            return prompt.strip();
        }
        if (node.isTextual()) {
            return node.textValue().strip();
        }
        if (!node.isObject()) {
            return prompt.strip();
        }
        JsonNode inner = node.get("prompt");
        if (inner == null) {
            return render(node).strip();
        }
        if (inner.isTextual()) {
            return inner.textValue().strip();
        }
        if (inner.isObject()) {
            JsonNode d = inner.get("description");
            return (d != null && d.isTextual() ? d.textValue() : render(inner)).strip();
        }
        return render(inner).strip();
    }

    /** Readable text without JSON punctuation: "key: value" lines, nested objects indented, lists joined by commas. */
    static String render(JsonNode node) {
        var sb = new StringBuilder();
        render(node, "", sb);
        return sb.toString();
    }

    private static void render(JsonNode node, String indent, StringBuilder sb) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                var e = it.next();
                JsonNode v = e.getValue();
                sb.append(indent).append(e.getKey()).append(':');
                if (v.isObject()) {
                    sb.append('\n');
                    render(v, indent + "  ", sb);
                } else {
                    sb.append(' ').append(scalar(v)).append('\n');
                }
            }
        } else {
            sb.append(indent).append(scalar(node)).append('\n');
        }
    }

    private static String scalar(JsonNode v) {
        if (v.isArray()) {
            var parts = new ArrayList<String>();
            v.forEach(x -> parts.add(x.isContainerNode() ? render(x).strip().replace('\n', ' ') : x.asText()));
            return String.join(", ", parts);
        }
        return v.isNull() ? "" : v.asText();
    }

    /** The tags as a list: split on commas, trimmed, empty ones dropped. */
    public static List<String> tags(String description) {
        var out = new ArrayList<String>();
        if (description != null) {
            for (String t : description.split(",")) {
                String s = t.strip();
                if (!s.isEmpty() && !out.contains(s)) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** The old system's metadata keys; no nulls (absent values leave their key out). */
    public static Map<String, Object> metadata(String name, String filePath, String description, String theme,
                                               String subTheme, String prompt) {
        var m = new LinkedHashMap<String, Object>();
        put(m, "name", name);
        put(m, "file_path", filePath);
        put(m, "description", description == null ? null : cut(description, DESCRIPTION_CHARS));
        put(m, "theme", theme);
        put(m, "sub_theme", subTheme);
        put(m, "original_prompt", prompt == null ? null : cut(prompt, ORIGINAL_PROMPT_CHARS));
        List<String> tags = tags(description);
        if (!tags.isEmpty()) {
            m.put("tags", tags);
        }
        return m;
    }

    private static void put(Map<String, Object> m, String k, String v) {
        if (v != null && !v.isEmpty()) {
            m.put(k, v);
        }
    }

    private static String cut(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }
}
