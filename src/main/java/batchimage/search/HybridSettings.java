package batchimage.search;

import batchimage.lexical.LexicalIndex;
import java.util.Map;

/**
 * How hybrid search fuses its lists and how the lexical list weighs a word's fields (application.properties
 * {@code search.hybrid.*} and {@code search.lexical.*}; docs/CONFIGURATION.md). The defaults were tuned on the COCO
 * dev queries (bench/search.sh).
 *
 * @param k          reciprocal rank fusion's constant: a list adds weight / (k + rank)
 * @param candidates how many hits each list gives the fusion
 * @param weights    each list's weight (lexical, prompt, description)
 * @param boosts     the lexical list's weights of a word found in all the words, the tags, the prompt, the name
 */
public record HybridSettings(int k, int candidates, Map<String, Double> weights, LexicalIndex.Boosts boosts) {

    public static final HybridSettings DEFAULTS = new HybridSettings(5, 50,
            Map.of(SearchRequest.LEXICAL, 0.75, SearchRequest.PROMPT, 1.0, SearchRequest.DESCRIPTION, 0.75), LexicalIndex.Boosts.DEFAULTS);

    public HybridSettings {
        if (k < 1 || candidates < 1) {
            throw new IllegalArgumentException("search.hybrid.k and search.hybrid.candidates must be at least 1, found " + k + " and " + candidates);
        }
        weights = Map.copyOf(weights);
    }

    /** From the settings as given (null or blank: the default). */
    public static HybridSettings of(String k, String candidates, String lexical, String prompt, String description,
                                    String wordsBoost, String tagsBoost, String promptBoost, String nameBoost) {
        var d = DEFAULTS;
        var b = d.boosts();
        return new HybridSettings(
                k == null || k.isBlank() ? d.k() : Integer.parseInt(k.strip()),
                candidates == null || candidates.isBlank() ? d.candidates() : Integer.parseInt(candidates.strip()),
                Map.of(SearchRequest.LEXICAL, number(lexical, d.weights().get(SearchRequest.LEXICAL)),
                        SearchRequest.PROMPT, number(prompt, d.weights().get(SearchRequest.PROMPT)),
                        SearchRequest.DESCRIPTION, number(description, d.weights().get(SearchRequest.DESCRIPTION))),
                new LexicalIndex.Boosts((float) number(wordsBoost, b.words()), (float) number(tagsBoost, b.tags()), (float) number(promptBoost, b.prompt()), (float) number(nameBoost, b.name())));
    }

    private static double number(String v, double otherwise) {
        return v == null || v.isBlank() ? otherwise : Double.parseDouble(v.strip());
    }
}
