package batchimage.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Maps one input record (its fields as read: String, JsonNode or null) to an {@link ImageRecord}, or
 * says why it cannot be one. The rules are DESIGN.md "Records".
 */
public final class RecordMapper {

    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern BATCH_FILE = Pattern.compile("batch_image_data_(.+)_final\\.json");

    private final ObjectMapper json;
    private final String fileTheme;

    /**
     * @param fileName     the batch file's name, for the theme of records without one
     * @param defaultTheme {@code ingest.default-theme}; blank to use the file name
     */
    public RecordMapper(ObjectMapper json, String fileName, String defaultTheme) {
        this.json = json;
        this.fileTheme = defaultTheme != null && !defaultTheme.isBlank() ? defaultTheme.trim() : themeOfFile(fileName);
    }

    /** The {@code *} of batch_image_data_*_final.json; for other names, the name without extension. */
    public static String themeOfFile(String fileName) {
        var m = BATCH_FILE.matcher(fileName);
        if (m.matches()) {
            return m.group(1);
        }
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }

    /** Outcome of mapping one record: exactly one of the two is set. */
    public record Result(ImageRecord record, Rejection rejection) {
    }

    public Result map(String subTheme, int position, Map<String, Object> fields) {
        Object rawId = fields.get("task_id");
        if (rawId == null) {
            return reject(subTheme, position, null, "task_id",
                    fields.containsKey("task_id") ? "task_id is null, expected a UUID" : "no task_id, expected a UUID", fields);
        }
        if (!(rawId instanceof String idText)) {
            return reject(subTheme, position, null, "task_id",
                    "task_id is " + kind(rawId) + " (" + abbreviate(rawId.toString()) + "), expected a UUID string", fields);
        }
        String trimmed = idText.trim();
        if (!UUID_TEXT.matcher(trimmed).matches()) {
            return reject(subTheme, position, null, "task_id",
                    "task_id '" + abbreviate(idText) + "' is not a UUID (expected 8-4-4-4-12 hex digits)", fields);
        }
        UUID id = UUID.fromString(trimmed);

        for (var e : fields.entrySet()) {
            int nul = nulOffset(e.getValue());
            if (nul >= 0) {
                return reject(subTheme, position, trimmed, e.getKey(), "contains a NUL character (U+0000)"
                        + (nul > 0 ? " at offset " + nul : "") + "; PostgreSQL text cannot store it", fields);
            }
        }

        Object prompt = fields.get("prompt");
        String promptText;
        if (prompt == null || prompt instanceof String) {
            promptText = (String) prompt;
        } else {
            // a prompt given as a JSON object is kept as its JSON text, which reads back as the same object
            JsonNode node = (JsonNode) prompt;
            promptText = node.isNull() ? null : node.isValueNode() ? node.asText() : node.toString();
        }

        Object tags = fields.get("tags");
        String tagText;
        if (tags == null || tags instanceof String) {
            tagText = (String) tags;
        } else {
            JsonNode node = (JsonNode) tags;
            if (node.isArray()) {
                var sb = new StringBuilder();
                for (JsonNode t : node) {
                    if (!t.isValueNode() || t.isNull()) {
                        return reject(subTheme, position, trimmed, "tags",
                                "tags is a list holding " + kind(t) + ", expected text or a list of strings", fields);
                    }
                    if (!sb.isEmpty()) {
                        sb.append(", ");
                    }
                    sb.append(t.asText());
                }
                tagText = sb.toString();
            } else if (node.isValueNode()) {
                tagText = node.asText();
            } else {
                return reject(subTheme, position, trimmed, "tags", "tags is " + kind(node) + ", expected text or a list of strings", fields);
            }
        }

        String fileName = textField(fields, "file_name");
        String filePath = textField(fields, "file_path");
        String theme = textField(fields, "theme");
        for (String f : new String[] {"file_name", "file_path", "theme"}) {
            Object v = fields.get(f);
            if (v instanceof JsonNode n && !n.isValueNode()) {
                return reject(subTheme, position, trimmed, f, f + " is " + kind(n) + ", expected text", fields);
            }
        }

        String name = fileName != null && !fileName.isBlank() ? fileName : subTheme + "_" + trimmed.substring(0, 8);
        String recordTheme = theme != null && !theme.isBlank() ? theme : fileTheme;

        ObjectNode extra = null;
        for (var e : fields.entrySet()) {
            switch (e.getKey()) {
                case "task_id", "prompt", "tags", "file_name", "file_path", "theme" -> { }
                default -> {
                    if (extra == null) {
                        extra = json.createObjectNode();
                    }
                    Object v = e.getValue();
                    extra.set(e.getKey(), v == null ? extra.nullNode() : v instanceof String s ? extra.textNode(s) : (JsonNode) v);
                }
            }
        }
        return new Result(new ImageRecord(id, name, filePath, promptText, tagText, recordTheme, subTheme,
                extra == null ? null : extra.toString(), position), null);
    }

    private static String textField(Map<String, Object> fields, String key) {
        Object v = fields.get(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        JsonNode n = (JsonNode) v;
        return n.isValueNode() && !n.isNull() ? n.asText() : null;
    }

    /** Offset of the first U+0000 in a value (nested values included), or -1. */
    private static int nulOffset(Object value) {
        if (value instanceof String s) {
            return s.indexOf('\0');
        }
        if (value instanceof JsonNode n) {
            if (n.isTextual()) {
                return n.textValue().indexOf('\0');
            }
            if (n.isContainerNode()) {
                var names = n.fieldNames();
                while (names.hasNext()) {
                    if (names.next().indexOf('\0') >= 0) {
                        return 0;
                    }
                }
                for (JsonNode child : n) {
                    if (nulOffset(child) >= 0) {
                        return 0;
                    }
                }
            }
        }
        return -1;
    }

    private Result reject(String subTheme, int position, String id, String field, String reason, Map<String, Object> fields) {
        return new Result(null, new Rejection(subTheme, position, id, field, reason, rawJson(fields)));
    }

    /** The record as read, as JSON text (NULs escaped as \u0000, so that PostgreSQL can keep it). */
    public String rawJson(Map<String, Object> fields) {
        ObjectNode node = json.createObjectNode();
        fields.forEach((k, v) -> node.set(k, v == null ? node.nullNode() : v instanceof String s ? node.textNode(s) : (JsonNode) v));
        return node.toString();
    }

    /** What a JSON value is, in words for an error message: text, a number, a list, an object, ... */
    public static String kind(Object v) {
        if (v instanceof String) {
            return "text";
        }
        JsonNode n = (JsonNode) v;
        if (n.isNumber()) {
            return "a number";
        }
        if (n.isBoolean()) {
            return "a boolean";
        }
        if (n.isArray()) {
            return "a list";
        }
        if (n.isObject()) {
            return "an object";
        }
        if (n.isNull()) {
            return "null";
        }
        return "text";
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
