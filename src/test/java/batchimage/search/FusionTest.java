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
}
