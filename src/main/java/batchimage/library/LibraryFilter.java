package batchimage.library;

import batchimage.http.ApiError;
import batchimage.vectors.Filter;
import batchimage.vectors.FilterException;
import batchimage.vectors.FilterParser;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The filter language over the library's metadata keys, checked as search, listing and delete apply it. */
public final class LibraryFilter {

    /** The metadata keys a filter may name. */
    public static final List<String> FIELDS = List.of("name", "file_path", "description", "theme", "sub_theme", "original_prompt", "tags");

    private LibraryFilter() {
    }

    /**
     * A filter checked as search checks it (operators, values, metadata keys), parsed; null when there is
     * none (null, JSON null or an empty object). Refusals are ApiErrors naming the part ({@code filter.theme.$eq}).
     */
    public static Filter checked(JsonNode filterJson) {
        JsonNode f = filterJson == null || filterJson.isNull() || filterJson.isObject() && filterJson.isEmpty() ? null : filterJson;
        if (f == null) {
            return null;
        }
        if (!f.isObject()) {
            throw ApiError.badRequest("filter", "filter must be a JSON object in Pinecone's filter language, such as {\"theme\": {\"$eq\": \"coco\"}}");
        }
        Filter parsed;
        try {
            parsed = FilterParser.parse(f);
        } catch (FilterException e) {
            throw ApiError.badRequest(e.path(), e.getMessage());
        }
        checkFields(f, "filter");
        return parsed;
    }

    /** Every field a condition names must be a metadata key (the parser has checked the operators and values). */
    public static void checkFields(JsonNode node, String path) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            var e = it.next();
            String key = e.getKey();
            String at = path + "." + key;
            if (key.equals("$and") || key.equals("$or")) {
                for (int i = 0; i < e.getValue().size(); i++) {
                    checkFields(e.getValue().get(i), at + "[" + i + "]");
                }
            } else if (!FIELDS.contains(key)) {
                throw ApiError.badRequest(at, "invalid filter at " + at + ": unknown field " + key + " (the records have " + String.join(", ", FIELDS) + ")");
            }
        }
    }
}
