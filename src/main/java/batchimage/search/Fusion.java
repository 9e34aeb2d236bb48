package batchimage.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal rank fusion: a record's fused score is the sum, over the rankings it appears in, of
 * 1 / (k + rank), rank counted from 1. Cosines of different namespaces are not comparable; ranks are.
 *
 * <p>A record can be missing from a ranking for two reasons: it ranked too low there, or it has no
 * vector there at all (no tags: nothing in {@code description}; no prompt text: nothing in
 * {@code prompt}). The first is evidence against it; the second is not, so such a namespace counts
 * for the record as if it ranked there as well as in its best ranking. Without that, an untagged image
 * that is the best prompt match would lose to any tagged one found at rank 30 in both.
 */
public final class Fusion {

    /** The usual constant: damps the weight of the very first ranks. */
    public static final int K = 60;

    /** One ranking's entry: id, its cosine there, its metadata. */
    public record Ranked(String id, double score, Map<String, Object> metadata) {
    }

    private Fusion() {
    }

    /**
     * The rankings (by namespace, each best first) fused into one list of at most {@code topK} hits, best
     * first; ties go to the higher cosine, then to the id.
     */
    /** Whether the index route gave a record with this metadata a vector in the namespace (IndexTexts). */
    static boolean hasVectorIn(String namespace, Map<String, Object> metadata) {
        if (metadata == null) {
            return true;
        }
        String key = switch (namespace) {
            case SearchRequest.DESCRIPTION -> "description";
            case SearchRequest.PROMPT -> "original_prompt";
            default -> null;
        };
        return key == null || metadata.get(key) instanceof String s && !s.isBlank();
    }

    public static List<SearchHit> fuse(Map<String, List<Ranked>> rankings, int topK) {
        record Acc(String id, Map<String, Double> scores, Map<String, Object> metadata, double[] fused) {
        }
        var byId = new LinkedHashMap<String, Acc>();
        var bestRank = new LinkedHashMap<String, Integer>();
        rankings.forEach((namespace, ranked) -> {
            for (int i = 0; i < ranked.size(); i++) {
                Ranked r = ranked.get(i);
                Acc a = byId.computeIfAbsent(r.id(), id -> new Acc(id, new LinkedHashMap<>(), r.metadata(), new double[1]));
                a.scores().put(namespace, r.score());
                a.fused()[0] += 1.0 / (K + i + 1);
                bestRank.merge(r.id(), i + 1, Math::min);
            }
        });
        for (Acc a : byId.values()) {
            for (String namespace : rankings.keySet()) {
                if (!a.scores().containsKey(namespace) && !hasVectorIn(namespace, a.metadata())) {
                    a.fused()[0] += 1.0 / (K + bestRank.get(a.id()));
                }
            }
        }
        var all = new ArrayList<>(byId.values());
        all.sort(Comparator.comparingDouble((Acc a) -> -a.fused()[0])
                .thenComparingDouble(a -> -a.scores().values().stream().mapToDouble(Double::doubleValue).max().orElse(0))
                .thenComparing(Acc::id));
        var out = new ArrayList<SearchHit>(Math.min(topK, all.size()));
        for (Acc a : all.subList(0, Math.min(topK, all.size()))) {
            var namespaces = new ArrayList<String>();
            // the namespaces in the order the rankings were given (prompt, description)
            rankings.keySet().stream().filter(a.scores()::containsKey).forEach(namespaces::add);
            var scores = new LinkedHashMap<String, Double>();
            namespaces.forEach(ns -> scores.put(ns, a.scores().get(ns)));
            String namespace = namespaces.size() == 1 ? namespaces.get(0) : SearchRequest.BOTH;
            out.add(SearchHit.of(a.id(), a.fused()[0], namespace, namespaces, scores, a.metadata()));
        }
        return out;
    }
}
