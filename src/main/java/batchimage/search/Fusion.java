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

    /** Whether the index route gave a record with this metadata a vector in the namespace (IndexTexts); every record has words. */
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

    /** The rankings fused with equal weights and {@link #K}, as {@code both} fuses the two namespaces. */
    public static List<SearchHit> fuse(Map<String, List<Ranked>> rankings, int topK) {
        return fuse(rankings, Map.of(), K, topK);
    }

    /**
     * The rankings (by list: namespace or {@code lexical}, each best first) fused into one list of at most
     * {@code topK} hits, best first: a record's score is the sum over the lists of weight / (k + rank), a list
     * without a weight in {@code weights} weighing 1. Ties go to the higher list score, then to the id.
     */
    public static List<SearchHit> fuse(Map<String, List<Ranked>> rankings, Map<String, Double> weights, int k, int topK) {
        record Acc(String id, Map<String, Double> scores, Map<String, Integer> ranks, Map<String, Object> metadata, double[] fused) {
        }
        var byId = new LinkedHashMap<String, Acc>();
        rankings.forEach((list, ranked) -> {
            double w = weights.getOrDefault(list, 1.0);
            for (int i = 0; i < ranked.size(); i++) {
                Ranked r = ranked.get(i);
                Acc a = byId.computeIfAbsent(r.id(), id -> new Acc(id, new LinkedHashMap<>(), new LinkedHashMap<>(), r.metadata(), new double[1]));
                if (a.ranks().putIfAbsent(list, i + 1) == null) {
                    a.scores().put(list, r.score());
                    a.fused()[0] += w / (k + i + 1);
                }
            }
        });
        for (Acc a : byId.values()) {
            int best = a.ranks().values().stream().mapToInt(Integer::intValue).min().orElseThrow();
            for (String list : rankings.keySet()) {
                if (!a.ranks().containsKey(list) && !hasVectorIn(list, a.metadata())) {
                    a.fused()[0] += weights.getOrDefault(list, 1.0) / (k + best);
                }
            }
        }
        var all = new ArrayList<>(byId.values());
        all.sort(Comparator.comparingDouble((Acc a) -> -a.fused()[0])
                .thenComparingDouble(a -> -a.scores().values().stream().mapToDouble(Double::doubleValue).max().orElse(0))
                .thenComparing(Acc::id));
        boolean lexical = rankings.containsKey(SearchRequest.LEXICAL);
        var out = new ArrayList<SearchHit>(Math.min(topK, all.size()));
        for (Acc a : all.subList(0, Math.min(topK, all.size()))) {
            var lists = new ArrayList<String>();
            // the lists in the order the rankings were given (lexical, prompt, description)
            rankings.keySet().stream().filter(a.ranks()::containsKey).forEach(lists::add);
            var scores = new LinkedHashMap<String, Double>();
            var ranks = new LinkedHashMap<String, Integer>();
            lists.forEach(l -> {
                scores.put(l, a.scores().get(l));
                ranks.put(l, a.ranks().get(l));
            });
            String from = lists.size() == 1 ? lists.get(0) : lexical ? SearchRequest.HYBRID : SearchRequest.BOTH;
            out.add(SearchHit.of(a.id(), a.fused()[0], from, lists, scores, ranks, a.metadata()));
        }
        return out;
    }
}
