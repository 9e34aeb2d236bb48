package batchimage.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Parses and validates a Pinecone filter; every refusal names the offending part. */
public final class FilterParser {

    /** Pinecone's cap on the values of one $in or $nin. */
    public static final int MAX_IN_VALUES = 10_000;
    /** How deep $and and $or may nest: deeper is refused before anything walks the filter (no stack runs out). */
    public static final int MAX_DEPTH = 10;
    /**
     * How many conditions a filter may hold in all ({@code {"year": {"$gt": 1, "$lt": 5}}} is two): each becomes at
     * most three clauses of a Lucene query, which takes 1024 (IndexSearcher's maxClauseCount), and a term of SQL.
     */
    public static final int MAX_CONDITIONS = 300;

    private FilterParser() {
    }

    /** The filter, or null for an absent or empty one (matches everything). */
    public static Filter parse(JsonNode node) {
        if (node == null || node.isNull() || node.isObject() && node.isEmpty()) {
            return null;
        }
        return object(node, "filter", 0, new int[1]);
    }

    /** {@code depth}: the $and and $or above; {@code conditions}: how many the filter held so far. */
    private static Filter object(JsonNode node, String path, int depth, int[] conditions) {
        if (!node.isObject()) {
            throw new FilterException(path, "expected an object, found " + kind(node));
        }
        if (node.isEmpty()) {
            throw new FilterException(path, "an empty object is not a condition");
        }
        var clauses = new ArrayList<Filter>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            var e = it.next();
            String key = e.getKey();
            String at = path + "." + key;
            if (key.equals("$and") || key.equals("$or")) {
                JsonNode arr = e.getValue();
                if (!arr.isArray() || arr.isEmpty()) {
                    throw new FilterException(at, key + " takes a non-empty array of conditions, found " + kind(arr));
                }
                if (depth >= MAX_DEPTH) {
                    throw new FilterException(at, "$and and $or nest at most " + MAX_DEPTH + " deep");
                }
                var parts = new ArrayList<Filter>();
                for (int i = 0; i < arr.size(); i++) {
                    parts.add(object(arr.get(i), at + "[" + i + "]", depth + 1, conditions));
                }
                clauses.add(key.equals("$and") ? new Filter.And(parts) : new Filter.Or(parts));
            } else if (key.startsWith("$")) {
                throw new FilterException(at, "only $and and $or may stand at the top of a condition; put " + key
                        + " under a field, as {\"field\": {\"" + key + "\": ...}}");
            } else {
                clauses.add(field(key, e.getValue(), at, conditions));
            }
        }
        return clauses.size() == 1 ? clauses.get(0) : new Filter.And(clauses);
    }

    private static void count(int[] conditions, String path) {
        if (++conditions[0] > MAX_CONDITIONS) {
            throw new FilterException(path, "a filter holds at most " + MAX_CONDITIONS + " conditions; this is one more"
                    + " (to match any of many values use one $in)");
        }
    }

    private static Filter field(String field, JsonNode value, String path, int[] conditions) {
        if (!value.isObject()) {
            // shorthand equality: {"genre": "comedy"}
            count(conditions, path);
            return new Filter.Compare(field, Filter.Op.EQ, scalar(value, path, "$eq"));
        }
        if (value.isEmpty()) {
            throw new FilterException(path, "an empty object is not a condition");
        }
        var clauses = new ArrayList<Filter>();
        Iterator<Map.Entry<String, JsonNode>> it = value.fields();
        while (it.hasNext()) {
            var e = it.next();
            String op = e.getKey();
            String at = path + "." + op;
            JsonNode arg = e.getValue();
            count(conditions, at);
            switch (op) {
                case "$eq", "$ne" -> clauses.add(new Filter.Compare(field, op.equals("$eq") ? Filter.Op.EQ : Filter.Op.NE, scalar(arg, at, op)));
                case "$gt", "$gte", "$lt", "$lte" -> {
                    if (!arg.isNumber()) {
                        throw new FilterException(at, op + " takes a number, found " + kind(arg));
                    }
                    Filter.Op o = switch (op) {
                        case "$gt" -> Filter.Op.GT;
                        case "$gte" -> Filter.Op.GTE;
                        case "$lt" -> Filter.Op.LT;
                        default -> Filter.Op.LTE;
                    };
                    clauses.add(new Filter.Compare(field, o, arg.asDouble()));
                }
                case "$in", "$nin" -> {
                    if (!arg.isArray()) {
                        throw new FilterException(at, op + " takes an array of strings or numbers, found " + kind(arg));
                    }
                    if (arg.size() > MAX_IN_VALUES) {
                        throw new FilterException(at, op + " takes at most " + MAX_IN_VALUES + " values, found " + arg.size());
                    }
                    var values = new ArrayList<Object>();
                    for (int i = 0; i < arg.size(); i++) {
                        JsonNode v = arg.get(i);
                        if (v.isTextual()) {
                            values.add(v.textValue());
                        } else if (v.isNumber()) {
                            values.add(v.asDouble());
                        } else {
                            throw new FilterException(at + "[" + i + "]", op + " values must be strings or numbers, found " + kind(v));
                        }
                    }
                    clauses.add(new Filter.In(field, List.copyOf(values), op.equals("$nin")));
                }
                case "$exists" -> {
                    if (!arg.isBoolean()) {
                        throw new FilterException(at, "$exists takes true or false, found " + kind(arg));
                    }
                    clauses.add(new Filter.Exists(field, arg.booleanValue()));
                }
                default -> throw new FilterException(at, "unknown operator " + op
                        + " (known: $eq $ne $gt $gte $lt $lte $in $nin $exists, and $and $or at the top)");
            }
        }
        return clauses.size() == 1 ? clauses.get(0) : new Filter.And(clauses);
    }

    private static Object scalar(JsonNode v, String path, String op) {
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        throw new FilterException(path, op + " takes a string, number or boolean, found " + kind(v)
                + (v.isArray() ? " (to match any of several values use $in)" : ""));
    }

    static String kind(JsonNode n) {
        if (n == null || n.isNull()) {
            return "null";
        }
        if (n.isArray()) {
            return "an array";
        }
        if (n.isObject()) {
            return "an object";
        }
        if (n.isNumber()) {
            return "a number";
        }
        if (n.isBoolean()) {
            return "a boolean";
        }
        return "a string";
    }

    /**
     * Whether a record's metadata satisfies the filter: a list value matches when any element does;
     * $ne and $nin are the negations of $eq and $in, so a record without the field satisfies them.
     */
    public static boolean matches(Filter f, Map<String, Object> metadata) {
        if (f instanceof Filter.And a) {
            return a.clauses().stream().allMatch(c -> matches(c, metadata));
        }
        if (f instanceof Filter.Or o) {
            return o.clauses().stream().anyMatch(c -> matches(c, metadata));
        }
        if (f instanceof Filter.Exists e) {
            return metadata.containsKey(e.field()) == e.present();
        }
        if (f instanceof Filter.In in) {
            boolean any = values(metadata.get(in.field())).stream().anyMatch(v -> in.values().stream().anyMatch(w -> same(v, w)));
            return in.negated() != any;
        }
        var c = (Filter.Compare) f;
        List<Object> vs = values(metadata.get(c.field()));
        return switch (c.op()) {
            case EQ -> vs.stream().anyMatch(v -> same(v, c.value()));
            case NE -> vs.stream().noneMatch(v -> same(v, c.value()));
            default -> vs.stream().anyMatch(v -> v instanceof Number n && compare(n.doubleValue(), c.op(), (Double) c.value()));
        };
    }

    private static List<Object> values(Object v) {
        if (v == null) {
            return List.of();
        }
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        return List.of(v);
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return a.equals(b);
    }

    private static boolean compare(double v, Filter.Op op, double x) {
        return switch (op) {
            case GT -> v > x;
            case GTE -> v >= x;
            case LT -> v < x;
            case LTE -> v <= x;
            default -> false;
        };
    }
}
