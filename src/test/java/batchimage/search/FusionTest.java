package batchimage.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FusionTest {

    private static final Map<String, Object> TAGGED = Map.of("original_prompt", "a dog on a bed", "description", "dog, bed");
    private static final Map<String, Object> UNTAGGED = Map.of("original_prompt", "a dog on a bed");

    /** 40 filler records ranked "f0".."f39", each tagged; {@code at} puts a record at a 1-based rank. */
    private static List<Fusion.Ranked> ranking(String prefix, Map<Integer, Fusion.Ranked> at) {
        var out = new ArrayList<Fusion.Ranked>();
        int filler = 0;
        for (int rank = 1; rank <= 40; rank++) {
            Fusion.Ranked r = at.get(rank);
            out.add(r != null ? r : new Fusion.Ranked(prefix + filler++, 0.5, TAGGED));
        }
        return out;
    }

    @Test
    void scoresAreSumsOfReciprocalRanks() {
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("prompt", ranking("p", Map.of(1, new Fusion.Ranked("x", 0.9, TAGGED))));
        rankings.put("description", ranking("d", Map.of(3, new Fusion.Ranked("x", 0.7, TAGGED))));
        SearchHit top = Fusion.fuse(rankings, 5).get(0);
        assertThat(top.id()).isEqualTo("x");
        assertThat(top.score()).isCloseTo(1.0 / 61 + 1.0 / 63, within(1e-12));
        assertThat(top.namespace()).isEqualTo("both");
        assertThat(top.scores()).containsEntry("prompt", 0.9).containsEntry("description", 0.7);
    }

    /**
     * An untagged record has no vector in 'description': its absence there says nothing against it, so
     * the best prompt match beats a tagged record found at rank 20 in both.
     */
    @Test
    void aRecordWithoutAVectorInANamespaceIsNotPenalisedForMissingThere() {
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("prompt", ranking("p", Map.of(1, new Fusion.Ranked("untagged", 0.9, UNTAGGED),
                20, new Fusion.Ranked("both20", 0.5, TAGGED))));
        rankings.put("description", ranking("d", Map.of(20, new Fusion.Ranked("both20", 0.5, TAGGED))));
        var hits = Fusion.fuse(rankings, 3);
        assertThat(hits.get(0).id()).isEqualTo("untagged");
        assertThat(hits.get(0).score()).isCloseTo(2.0 / 61, within(1e-12));
        assertThat(hits.get(0).namespaces()).containsExactly("prompt");
    }

    /** A tagged record missing from 'description' ranked too low there: no credit for it. */
    @Test
    void aTaggedRecordMissingFromARankingGetsNothingForIt() {
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("prompt", ranking("p", Map.of(1, new Fusion.Ranked("tagged", 0.9, TAGGED),
                20, new Fusion.Ranked("both20", 0.5, TAGGED))));
        rankings.put("description", ranking("d", Map.of(20, new Fusion.Ranked("both20", 0.5, TAGGED))));
        var hits = Fusion.fuse(rankings, 40);
        SearchHit tagged = hits.stream().filter(h -> h.id().equals("tagged")).findFirst().orElseThrow();
        assertThat(tagged.score()).isCloseTo(1.0 / 61, within(1e-12));
        assertThat(hits.get(0).id()).isEqualTo("both20");
    }

    // ---- weighted fusion of the lexical list and the dense namespaces (hybrid search)

    private static Fusion.Ranked r(String id, double score, Map<String, Object> metadata) {
        return new Fusion.Ranked(id, score, metadata);
    }

    private static SearchHit hit(List<SearchHit> hits, String id) {
        return hits.stream().filter(h -> h.id().equals(id)).findFirst().orElseThrow(() -> new AssertionError(id + " not among the hits"));
    }

    private static List<String> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    /** "w" first in the lexical list, "p" first in prompt: the weights decide which comes first, and by how much. */
    @Test
    void weightsDecideBetweenTheListsAndScaleEachListsShare() {
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("lexical", ranking("l", Map.of(1, r("w", 0.1, TAGGED), 2, r("shared", 0.05, TAGGED))));
        rankings.put("prompt", ranking("p", Map.of(1, r("p", 0.9, TAGGED), 2, r("shared", 0.8, TAGGED))));

        // equal weights: a tie at 1 / 61, which the higher list score breaks
        var unweighted = Fusion.fuse(rankings, Map.of(), 60, 200);
        assertThat(hit(unweighted, "w").score()).isCloseTo(1.0 / 61, within(1e-12));
        assertThat(hit(unweighted, "p").score()).isCloseTo(1.0 / 61, within(1e-12));
        assertThat(ids(unweighted).indexOf("p")).isLessThan(ids(unweighted).indexOf("w"));

        var wordsWeighMore = Fusion.fuse(rankings, Map.of("lexical", 3.0, "prompt", 1.0), 60, 200);
        assertThat(ids(wordsWeighMore).subList(0, 2)).containsExactly("shared", "w");
        assertThat(ids(wordsWeighMore).indexOf("w")).isLessThan(ids(wordsWeighMore).indexOf("p"));
        assertThat(hit(wordsWeighMore, "w").score()).isCloseTo(3.0 / 61, within(1e-12));
        assertThat(hit(wordsWeighMore, "p").score()).isCloseTo(1.0 / 61, within(1e-12));
        assertThat(hit(wordsWeighMore, "shared").score()).isCloseTo(3.0 / 62 + 1.0 / 62, within(1e-12));
        // the words' fillers at ranks 3 and 4 (3 / 63, 3 / 64) now come before the best prompt match (1 / 61)
        assertThat(ids(wordsWeighMore).subList(2, 4)).containsExactly("l0", "l1");

        var meaningWeighsMore = Fusion.fuse(rankings, Map.of("lexical", 1.0, "prompt", 3.0), 60, 200);
        assertThat(ids(meaningWeighsMore).subList(0, 4)).containsExactly("shared", "p", "p0", "p1");
        assertThat(hit(meaningWeighsMore, "p").score()).isCloseTo(3.0 / 61, within(1e-12));
        assertThat(hit(meaningWeighsMore, "w").score()).isCloseTo(1.0 / 61, within(1e-12));

        // a weight of 0 leaves the list out of the score (its hits stay, with nothing from it)
        var noWords = Fusion.fuse(rankings, Map.of("lexical", 0.0), 60, 200);
        assertThat(hit(noWords, "w").score()).isZero();
        assertThat(ids(noWords).subList(0, 2)).containsExactly("p", "shared");

        // k damps the first ranks: small k, rank 1 counts much more than rank 2
        var sharp = Fusion.fuse(rankings, Map.of(), 1, 5);
        assertThat(hit(sharp, "w").score()).isCloseTo(1.0 / 2, within(1e-12));
        assertThat(hit(sharp, "shared").score()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(ids(sharp).get(0)).isEqualTo("shared");
    }

    /** The equal-weight fuse of two namespaces is the weighted fuse with weights 1 and k = 60. */
    @Test
    void theUnweightedFuseIsTheWeightedOneWithOnesAndSixty() {
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("prompt", ranking("p", Map.of(2, r("x", 0.9, UNTAGGED), 5, r("y", 0.7, TAGGED))));
        rankings.put("description", ranking("d", Map.of(1, r("y", 0.8, TAGGED))));
        var plain = Fusion.fuse(rankings, 30);
        var weighted = Fusion.fuse(rankings, Map.of("prompt", 1.0, "description", 1.0), Fusion.K, 30);
        assertThat(ids(plain)).isEqualTo(ids(weighted));
        for (int i = 0; i < plain.size(); i++) {
            assertThat(plain.get(i).score()).isCloseTo(weighted.get(i).score(), within(1e-15));
        }
    }

    @Test
    void eachHitCarriesEachListsRankAndScoreInTheOrderTheListsWereGiven() {
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("lexical", ranking("l", Map.of(4, r("x", 0.3, TAGGED), 9, r("y", 0.2, TAGGED))));
        rankings.put("prompt", ranking("p", Map.of(2, r("x", 0.8, TAGGED))));
        rankings.put("description", ranking("d", Map.of(7, r("x", 0.6, TAGGED), 1, r("y", 0.95, TAGGED))));
        var hits = Fusion.fuse(rankings, Map.of("lexical", 1.5, "prompt", 1.0, "description", 0.5), 20, 200);

        SearchHit x = hit(hits, "x");
        assertThat(x.namespaces()).containsExactly("lexical", "prompt", "description");
        assertThat(x.ranks()).containsExactly(Map.entry("lexical", 4), Map.entry("prompt", 2), Map.entry("description", 7));
        assertThat(x.scores()).containsExactly(Map.entry("lexical", 0.3), Map.entry("prompt", 0.8), Map.entry("description", 0.6));
        assertThat(x.score()).isCloseTo(1.5 / 24 + 1.0 / 22 + 0.5 / 27, within(1e-12));

        SearchHit y = hit(hits, "y");
        assertThat(y.namespaces()).containsExactly("lexical", "description");
        assertThat(y.ranks()).containsOnly(Map.entry("lexical", 9), Map.entry("description", 1));
        assertThat(y.scores()).containsOnly(Map.entry("lexical", 0.2), Map.entry("description", 0.95));
        assertThat(y.score()).isCloseTo(1.5 / 29 + 0.5 / 21, within(1e-12));

        SearchHit filler = hit(hits, "p0");
        assertThat(filler.ranks()).containsOnly(Map.entry("prompt", 1));
        // one hit per record, best first, the fused scores falling
        assertThat(ids(hits)).doesNotHaveDuplicates();
        assertThat(hits).extracting(SearchHit::score).isSortedAccordingTo((a, b) -> Double.compare(b, a));
        assertThat(hits).hasSize(3 * 40 - 3);
    }

    @Test
    void aRecordTwiceInOneListCountsOnceAtItsFirstRank() {
        var lexical = new ArrayList<Fusion.Ranked>(List.of(r("a", 0.9, TAGGED), r("b", 0.8, TAGGED), r("a", 0.1, TAGGED)));
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("lexical", lexical);
        var hits = Fusion.fuse(rankings, Map.of(), 60, 10);
        assertThat(ids(hits)).containsExactly("a", "b");
        assertThat(hits.get(0).score()).isCloseTo(1.0 / 61, within(1e-12));
        assertThat(hits.get(0).ranks()).containsOnly(Map.entry("lexical", 1));
        assertThat(hits.get(0).scores()).containsOnly(Map.entry("lexical", 0.9));
    }

    /** hybrid: lexical is among the lists and more than one found the hit; both: two dense ones did, without lexical; else the one list. */
    @Test
    void aHitIsLabelledHybridBothOrTheOneListThatFoundIt() {
        var hybrid = new LinkedHashMap<String, List<Fusion.Ranked>>();
        hybrid.put("lexical", ranking("l", Map.of(1, r("lp", 0.5, TAGGED), 2, r("ld", 0.5, TAGGED), 3, r("all", 0.5, TAGGED),
                4, r("lonly", 0.5, TAGGED))));
        hybrid.put("prompt", ranking("p", Map.of(1, r("lp", 0.5, TAGGED), 2, r("all", 0.5, TAGGED), 3, r("pd", 0.5, TAGGED),
                4, r("ponly", 0.5, TAGGED))));
        hybrid.put("description", ranking("d", Map.of(1, r("ld", 0.5, TAGGED), 2, r("all", 0.5, TAGGED), 3, r("pd", 0.5, TAGGED),
                4, r("donly", 0.5, TAGGED))));
        var hits = Fusion.fuse(hybrid, Map.of(), 60, 200);
        assertThat(hit(hits, "lp").namespace()).isEqualTo("hybrid");
        assertThat(hit(hits, "ld").namespace()).isEqualTo("hybrid");
        assertThat(hit(hits, "all").namespace()).isEqualTo("hybrid");
        assertThat(hit(hits, "pd").namespace()).isEqualTo("hybrid");
        assertThat(hit(hits, "lonly").namespace()).isEqualTo("lexical");
        assertThat(hit(hits, "ponly").namespace()).isEqualTo("prompt");
        assertThat(hit(hits, "donly").namespace()).isEqualTo("description");
        assertThat(hit(hits, "all").namespaces()).containsExactly("lexical", "prompt", "description");
        assertThat(hits.get(0).id()).isEqualTo("all");

        var dense = new LinkedHashMap<String, List<Fusion.Ranked>>();
        dense.put("prompt", hybrid.get("prompt"));
        dense.put("description", hybrid.get("description"));
        var denseHits = Fusion.fuse(dense, Map.of(), 60, 200);
        assertThat(hit(denseHits, "pd").namespace()).isEqualTo("both");
        assertThat(hit(denseHits, "all").namespace()).isEqualTo("both");
        assertThat(hit(denseHits, "ponly").namespace()).isEqualTo("prompt");

        // lexical with a single namespace: found by both lists is hybrid
        var withPrompt = new LinkedHashMap<String, List<Fusion.Ranked>>();
        withPrompt.put("lexical", hybrid.get("lexical"));
        withPrompt.put("prompt", hybrid.get("prompt"));
        var promptHits = Fusion.fuse(withPrompt, Map.of(), 60, 200);
        assertThat(hit(promptHits, "lp").namespace()).isEqualTo("hybrid");
        assertThat(hit(promptHits, "lonly").namespace()).isEqualTo("lexical");
    }

    /** The untagged record's missing description counts as its best rank, at the description's weight. */
    @Test
    void theNoVectorRuleCountsTheMissingNamespaceAtItsOwnWeight() {
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("prompt", ranking("p", Map.of(3, r("untagged", 0.9, UNTAGGED), 10, r("tagged", 0.8, TAGGED))));
        rankings.put("description", ranking("d", Map.of()));
        var hits = Fusion.fuse(rankings, Map.of("prompt", 2.0, "description", 0.5), 60, 100);
        assertThat(hit(hits, "untagged").score()).isCloseTo(2.0 / 63 + 0.5 / 63, within(1e-12));
        // the bonus is a score, not a rank: the hit says where it was found
        assertThat(hit(hits, "untagged").namespaces()).containsExactly("prompt");
        assertThat(hit(hits, "untagged").ranks()).containsOnly(Map.entry("prompt", 3));
        assertThat(hit(hits, "tagged").score()).isCloseTo(2.0 / 70, within(1e-12));

        // a record without prompt text has no prompt vector: not penalised there either
        Map<String, Object> tagsOnly = Map.of("description", "dog, bed");
        var byTags = new LinkedHashMap<String, List<Fusion.Ranked>>();
        byTags.put("prompt", ranking("p", Map.of()));
        byTags.put("description", ranking("d", Map.of(2, r("tagsOnly", 0.7, tagsOnly))));
        assertThat(hit(Fusion.fuse(byTags, Map.of("prompt", 0.25, "description", 1.0), 60, 100), "tagsOnly").score())
                .isCloseTo(1.0 / 62 + 0.25 / 62, within(1e-12));

        // a weight of 0 for the missing namespace gives nothing for it
        assertThat(hit(Fusion.fuse(rankings, Map.of("prompt", 1.0, "description", 0.0), 60, 100), "untagged").score())
                .isCloseTo(1.0 / 63, within(1e-12));
    }

    /** Every record has words: missing from the lexical list, it ranked too low there, and gets nothing for it. */
    @Test
    void aRecordMissingFromTheLexicalListGetsNothingForIt() {
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        rankings.put("lexical", ranking("l", Map.of()));
        rankings.put("prompt", ranking("p", Map.of(1, r("tagged", 0.9, TAGGED), 2, r("untagged", 0.85, UNTAGGED))));
        rankings.put("description", ranking("d", Map.of(1, r("tagged", 0.9, TAGGED))));
        var hits = Fusion.fuse(rankings, Map.of("lexical", 2.0, "prompt", 1.0, "description", 1.0), 60, 200);
        assertThat(hit(hits, "tagged").score()).isCloseTo(1.0 / 61 + 1.0 / 61, within(1e-12));
        // untagged: prompt, plus description counted at its prompt rank; nothing for lexical
        assertThat(hit(hits, "untagged").score()).isCloseTo(1.0 / 62 + 1.0 / 62, within(1e-12));
        assertThat(hit(hits, "untagged").namespace()).isEqualTo("prompt");
    }

    @Test
    void theSettingsShippedInApplicationPropertiesAreTheDefaultsTunedOnCocoDev() throws Exception {
        var p = new java.util.Properties();
        try (var in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of("application.properties"))) {
            p.load(in);
        }
        HybridSettings shipped = HybridSettings.of(p.getProperty("search.hybrid.k"), p.getProperty("search.hybrid.candidates"),
                p.getProperty("search.hybrid.weight.lexical"), p.getProperty("search.hybrid.weight.prompt"),
                p.getProperty("search.hybrid.weight.description"), p.getProperty("search.lexical.boost.words"),
                p.getProperty("search.lexical.boost.tags"), p.getProperty("search.lexical.boost.prompt"), p.getProperty("search.lexical.boost.name"));
        assertThat(p.getProperty("search.hybrid.k")).isNotBlank();
        assertThat(shipped).isEqualTo(HybridSettings.DEFAULTS);
        // and a setting given is taken, a bad one refused
        assertThat(HybridSettings.of("60", "100", "1", null, "0.5", null, "0.25", null, null))
                .satisfies(h -> {
                    assertThat(h.k()).isEqualTo(60);
                    assertThat(h.candidates()).isEqualTo(100);
                    assertThat(h.weights()).containsEntry("lexical", 1.0).containsEntry("prompt", 1.0).containsEntry("description", 0.5);
                    assertThat(h.boosts().tags()).isEqualTo(0.25f);
                });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HybridSettings.of("0", null, null, null, null, null, null, null, null))
                .hasMessageContaining("search.hybrid.k");
    }
}
