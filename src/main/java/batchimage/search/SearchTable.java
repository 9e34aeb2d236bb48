package batchimage.search;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** A search answer (the API's JSON) as a table for people: rank, score, namespace(s), sub-theme, name, file path, first tags. */
public final class SearchTable {

    private static final String[] HEADER = {"#", "score", "namespace", "sub_theme", "name", "file_path", "tags"};
    /** Widest a column may be; longer values are cut with an ellipsis. */
    private static final int[] MAX = {4, 8, 12, 20, 28, 40, 40};
    private static final int FIRST_TAGS = 4;

    private SearchTable() {
    }

    public static String render(JsonNode answer) {
        var rows = new ArrayList<String[]>();
        rows.add(HEADER);
        int rank = 0;
        for (JsonNode hit : answer.path("matches")) {
            JsonNode meta = hit.path("metadata");
            rows.add(new String[] {
                    String.valueOf(++rank),
                    hit.path("score").isNumber() ? String.format(java.util.Locale.ROOT, "%.4f", hit.path("score").asDouble()) : "-",
                    foundBy(hit),
                    meta.path("sub_theme").asText(""),
                    meta.path("name").asText(""),
                    meta.path("file_path").asText(""),
                    tags(meta.path("tags"))});
        }
        int[] width = new int[HEADER.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                r[i] = cut(r[i].replaceAll("\\s+", " "), MAX[i]);
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        var sb = new StringBuilder();
        for (String[] r : rows) {
            var line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                // numbers to the right, text to the left
                String cell = i < 2 ? " ".repeat(width[i] - r[i].length()) + r[i] : r[i] + " ".repeat(width[i] - r[i].length());
                line.append(cell).append(i < r.length - 1 ? "  " : "");
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        sb.append(summary(answer, rank));
        return sb.toString();
    }

    /** The hit's list; for a hybrid hit the lists that found it with their ranks, as L (words), P (prompt), D (description): "L1 P3 D2". */
    static String foundBy(JsonNode hit) {
        if (!hit.path("namespace").isTextual()) {
            return "-";
        }
        String namespace = hit.path("namespace").asText();
        if (!SearchRequest.HYBRID.equals(namespace)) {
            return namespace;
        }
        var s = new StringBuilder();
        hit.path("ranks").fields().forEachRemaining(e -> s.append(s.isEmpty() ? "" : " ")
                .append(Character.toUpperCase(e.getKey().charAt(0)))
                .append(e.getValue().asInt()));
        return s.isEmpty() ? namespace : s.toString();
    }

    private static String summary(JsonNode answer, int hits) {
        String mode = answer.path("mode").asText();
        var s = new StringBuilder();
        s.append(hits).append(hits == 1 ? " hit" : " hits");
        String lists = switch (mode) {
            case "hybrid" -> "hybrid of words and " + answer.path("namespace").asText() + "; L words, P prompt, D description, with their ranks";
            case "lexical" -> "lexical: words";
            default -> answer.path("namespace").asText();
        };
        s.append("list".equals(mode) ? " (records the filter matches, by name)" : " (" + lists + ")");
        s.append(" in ").append(answer.path("took_ms").asLong()).append(" ms");
        long pending = answer.path("indexing").path("pending").asLong();
        long failed = answer.path("indexing").path("failed").asLong();
        if (pending > 0 || failed > 0) {
            s.append("; not searched yet: ").append(pending).append(" records waiting to be indexed");
            if (failed > 0) {
                s.append(", ").append(failed).append(" failed");
            }
        }
        return s.append('\n').toString();
    }

    private static String tags(JsonNode tags) {
        List<String> first = new ArrayList<>();
        for (JsonNode t : tags) {
            if (first.size() == FIRST_TAGS) {
                first.add("...");
                break;
            }
            first.add(t.asText());
        }
        return String.join(", ", first);
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
