package batchimage.library;

import batchimage.vectors.Filter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Pinecone filter as a condition on {@code image_library} rows, with bound parameters, meaning what it
 * means on the vector metadata the index route writes ({@code IndexTexts.metadata}): a field is present
 * when its column is neither NULL nor empty; {@code tags} is the description split by commas, trimmed;
 * {@code original_prompt} is the first 500 characters of the prompt. As in Pinecone (and
 * {@code FilterParser.matches}), a list matches when any element does, $ne and $nin hold for a record
 * without the field, and a number, a boolean or a range never matches text.
 */
public final class FilterSql {

    /** The condition and its parameters, in order: String, or String[] for a text array. */
    public record Sql(String where, List<Object> params) {
    }

    /** Characters Java's strip() removes and that tags are trimmed of. */
    private static final String SPACE = "E' \\t\\n\\r\\f'";
    private static final String TAGS = "ARRAY(SELECT btrim(t, " + SPACE + ") FROM unnest(string_to_array(description, ',')) t WHERE btrim(t, " + SPACE + ") <> '')";

    /** Metadata key to the column expression holding it. */
    private static final Map<String, String> COLUMNS = Map.of(
            "name", "name",
            "file_path", "file_path",
            "description", "left(description, 8000)",
            "theme", "theme",
            "sub_theme", "sub_theme",
            "original_prompt", "left(prompt, 500)");

    private FilterSql() {
    }

    public static Sql of(Filter filter) {
        var params = new ArrayList<Object>();
        String where = filter == null ? "TRUE" : condition(filter, params);
        return new Sql(where, params);
    }

    private static String condition(Filter f, List<Object> params) {
        if (f instanceof Filter.And a) {
            return join(a.clauses(), " AND ", params);
        }
        if (f instanceof Filter.Or o) {
            return join(o.clauses(), " OR ", params);
        }
        if (f instanceof Filter.Exists e) {
            return e.present() ? present(e.field()) : "NOT " + present(e.field());
        }
        if (f instanceof Filter.In in) {
            String[] texts = in.values().stream().filter(String.class::isInstance).toArray(String[]::new);
            if (texts.length == 0 || !known(in.field())) {
                return in.negated() ? "TRUE" : "FALSE";
            }
            params.add(texts);
            String any = in.field().equals("tags") ? "(" + TAGS + " && ?::text[])" : "coalesce(" + column(in.field()) + " = ANY (?::text[]), FALSE)";
            return in.negated() ? "NOT " + any : any;
        }
        var c = (Filter.Compare) f;
        if (c.op().isRange() || !(c.value() instanceof String value) || !known(c.field())) {
            // ranges compare numbers, and no metadata value is a number or a boolean
            return c.op() == Filter.Op.NE ? "TRUE" : "FALSE";
        }
        params.add(value);
        String equal = c.field().equals("tags") ? "(?::text = ANY (" + TAGS + "))" : "coalesce(" + column(c.field()) + " = ?, FALSE)";
        return c.op() == Filter.Op.EQ ? equal : "NOT " + equal;
    }

    private static String join(List<Filter> clauses, String op, List<Object> params) {
        var parts = new ArrayList<String>();
        for (Filter c : clauses) {
            parts.add(condition(c, params));
        }
        return "(" + String.join(op, parts) + ")";
    }

    private static boolean known(String field) {
        return field.equals("tags") || COLUMNS.containsKey(field);
    }

    private static String column(String field) {
        return COLUMNS.get(field);
    }

    private static String present(String field) {
        if (field.equals("tags")) {
            return "(cardinality(" + TAGS + ") > 0)";
        }
        return known(field) ? "(coalesce(" + column(field) + ", '') <> '')" : "FALSE";
    }
}
