package batchimage.lexical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import batchimage.vectors.Filter;
import batchimage.vectors.FilterParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.lucene.search.BooleanQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lexical index: English words with BM25, weighed per field, filtered like the vectors, durable per commit. */
class LexicalIndexTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static List<String> ids(List<LexicalIndex.Hit> hits) {
        return hits.stream().map(LexicalIndex.Hit::id).toList();
    }

    private static Filter filter(String json) throws IOException {
        return FilterParser.parse(JSON.readTree(json));
    }

    @Test
    void englishStemmingFindsOtherFormsOfAWord() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            index.put("h", "", "running horses in a field", "", Map.of());
            index.put("c", "", "a sleeping cat", "", Map.of());
            index.commit("1");

            assertThat(ids(index.search("horse run", null, 10))).containsExactly("h");
            assertThat(ids(index.search("Horses", null, 10))).containsExactly("h");
            assertThat(ids(index.search("cats sleep", null, 10))).containsExactly("c");
            assertThat(index.search("zebra", null, 10)).isEmpty();
        }
    }

    @Test
    void aQueryOfOnlyStopWordsHasNoWords() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            index.put("a", "the", "the of and a horse", "and", Map.of());
            index.commit("1");

            assertThat(index.query("the of and")).isNull();
            assertThat(index.search("the of and", null, 10)).isEmpty();
            assertThat(index.query(null)).isNull();
            assertThat(index.query("   ")).isNull();
            assertThat(index.search("", null, 10)).isEmpty();
            // stop words are not terms of the analyzer
            assertThat(index.tokens("the horses of the night").stream().map(t -> t[0]).toList()).containsExactly("hors", "night");
            // a stop word beside a word does not stop the word
            assertThat(ids(index.search("the horse", null, 10))).containsExactly("a");
        }
    }

    @Test
    void queryLanguageSyntaxIsNeverParsed() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            index.put("t", "", "the title of foo", "", Map.of());
            index.put("o", "", "an unclosed door", "", Map.of());
            index.put("x", "", "nothing in common", "", Map.of());
            index.commit("1");

            for (String text : List.of("\"unclosed", "a:b (c) [d] AND OR NOT * ? ~ ^2 \\ / { }", "\"", "\"\"", "*", "?",
                    "foo~", "title^2", "-foo", "+foo", "foo AND", "(", ")", "[a TO z]", "/re.*/", "\\", "&& ||", "!")) {
                assertThat(index.search(text, null, 10)).as(text).isNotNull();
            }
            assertThat(ids(index.search("\"unclosed", null, 10))).containsExactly("o");
            assertThat(index.search("a:b (c) [d] AND OR NOT * ? ~ ^2 \\ / { }", null, 10)).isEmpty();
            // no field is asked by name: a colon parts words, in records and queries alike (StandardTokenizer alone
            // would keep "title:foo" one term)
            index.put("colon", "", "a title:foo caption", "", Map.of());
            index.commit("2");
            assertThat(ids(index.search("title:foo", null, 10))).containsExactlyInAnyOrder("colon", "t");
            assertThat(ids(index.search("foo*", null, 10))).containsExactlyInAnyOrder("t", "colon");
        }
    }

    @Test
    void aQuotedGroupMustBeFoundAsAPhrase() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            index.put("phrase", "", "a red car on the street", "", Map.of());
            index.put("apart", "", "a red bicycle next to a blue car", "", Map.of());
            index.commit("1");

            assertThat(ids(index.search("\"red car\"", null, 10))).containsExactly("phrase");
            assertThat(ids(index.search("red car", null, 10))).containsExactlyInAnyOrder("phrase", "apart");
            // the phrase is found in the tags too
            index.put("tagged", "red car, night", "a photo", "", Map.of());
            index.commit("2");
            assertThat(ids(index.search("\"red car\"", null, 10))).containsExactlyInAnyOrder("phrase", "tagged");
            // an unclosed quote runs to the end
            assertThat(ids(index.search("street \"blue car", null, 10))).containsExactly("apart");
        }
    }

    @Test
    void aFieldWithoutBoostIsNotAsked() throws IOException {
        Path tagsOnly = dir.resolve("tags");
        try (var index = LexicalIndex.open(tagsOnly, new LexicalIndex.Boosts(0, 1, 0, 0))) {
            index.put("p", "meadow", "a castle on a hill", "", Map.of());
            index.commit("1");
            assertThat(index.search("castle", null, 10)).isEmpty();
            assertThat(ids(index.search("meadow", null, 10))).containsExactly("p");
        }
        try (var index = LexicalIndex.open(dir.resolve("words"), new LexicalIndex.Boosts(1, 0, 0, 0))) {
            index.put("p", "meadow", "a castle on a hill", "", Map.of());
            index.commit("1");
            assertThat(ids(index.search("castle", null, 10))).containsExactly("p");
            assertThat(ids(index.search("meadow", null, 10))).containsExactly("p");
        }
        try (var index = LexicalIndex.open(dir.resolve("name"), new LexicalIndex.Boosts(0, 0, 0, 1))) {
            index.put("p", "meadow", "a castle on a hill", LexicalTexts.name("sunset_photo"), Map.of());
            index.commit("1");
            assertThat(index.search("castle meadow", null, 10)).isEmpty();
            assertThat(ids(index.search("sunset", null, 10))).containsExactly("p");
        }
    }

    @Test
    void aBoostOnTheTagsRanksAWordInTheTagsFirst() throws IOException {
        // in one field of all words, the short record with the word in its prompt ranks first
        String longTags = "castle, knight, dragon, forest, river, mountain, banner, horse, armour, tower";
        String longPrompt = "an old painting of medieval scenes with many people walking along the road at dusk";
        for (var boosts : List.of(LexicalIndex.Boosts.DEFAULTS, new LexicalIndex.Boosts(1, 10, 0, 0))) {
            try (var index = LexicalIndex.open(dir.resolve("b" + boosts.tags()), boosts)) {
                index.put("inTags", longTags, longPrompt, "", Map.of());
                index.put("inPrompt", "", "castle", "", Map.of());
                index.commit("1");
                List<LexicalIndex.Hit> hits = index.search("castle", null, 10);
                assertThat(hits).extracting(LexicalIndex.Hit::score).allMatch(s -> s > 0);
                if (boosts.tags() == 0) {
                    assertThat(ids(hits)).containsExactly("inPrompt", "inTags");
                } else {
                    assertThat(ids(hits)).containsExactly("inTags", "inPrompt");
                    assertThat(hits.get(0).score()).isGreaterThan(hits.get(1).score());
                }
            }
        }
    }

    @Test
    void boostsMustBeAtLeastZeroAndOneOfThemMore() {
        assertThatThrownBy(() -> new LexicalIndex.Boosts(0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LexicalIndex.Boosts(1, -1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void filtersRestrictTheHitsAndMetadataComesBack() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            index.put("land", "", "a tree on a hill", "", Map.of("sub_theme", "LANDSCAPE", "year", 2019, "hd", true,
                    "tags", List.of("tree", "hill")));
            index.put("animal", "", "a cat under a tree", "", Map.of("sub_theme", "ANIMAL", "year", 2021, "hd", false));
            index.commit("1");

            assertThat(ids(index.search("tree", null, 10))).containsExactlyInAnyOrder("land", "animal");
            List<LexicalIndex.Hit> land = index.search("tree", filter("{\"sub_theme\": \"LANDSCAPE\"}"), 10);
            assertThat(ids(land)).containsExactly("land");
            assertThat(land.get(0).metadata()).containsOnly(Map.entry("sub_theme", "LANDSCAPE"), Map.entry("year", 2019),
                    Map.entry("hd", true), Map.entry("tags", List.of("tree", "hill")));
            assertThat(ids(index.search("tree", filter("{\"sub_theme\": {\"$ne\": \"LANDSCAPE\"}}"), 10))).containsExactly("animal");
            assertThat(ids(index.search("tree", filter("{\"year\": {\"$gt\": 2020}}"), 10))).containsExactly("animal");
            assertThat(ids(index.search("tree", filter("{\"hd\": true}"), 10))).containsExactly("land");
            assertThat(ids(index.search("tree", filter("{\"tags\": {\"$in\": [\"hill\"]}}"), 10))).containsExactly("land");
            assertThat(index.search("tree", filter("{\"sub_theme\": \"FOOD\"}"), 10)).isEmpty();
            // the filter restricts; it does not find on its own
            assertThat(index.search("zebra", filter("{\"sub_theme\": \"LANDSCAPE\"}"), 10)).isEmpty();
            assertThat(ids(index.search("cat", null, 10))).containsExactly("animal");
            assertThat(index.search("cat", null, 10).get(0).metadata()).containsEntry("sub_theme", "ANIMAL").containsEntry("hd", false);
        }
    }

    @Test
    void limitCapsTheHits() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            for (int i = 0; i < 5; i++) {
                index.put("r" + i, "", "tree number " + i, "", Map.of());
            }
            index.commit("1");
            assertThat(index.search("tree", null, 2)).hasSize(2);
            assertThat(index.search("tree", null, 10)).hasSize(5);
        }
    }

    @Test
    void removeAndReplace() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            index.put("a", "", "a grey horse", "", Map.of("v", 1));
            index.put("b", "", "a grey donkey", "", Map.of());
            index.commit("1");
            assertThat(index.records()).isEqualTo(2);

            index.remove("b");
            index.commit("2");
            assertThat(index.records()).isEqualTo(1);
            assertThat(index.ids()).containsExactly("a");
            assertThat(ids(index.search("grey", null, 10))).containsExactly("a");
            assertThat(index.search("donkey", null, 10)).isEmpty();

            // the same id again replaces the record: its old words go
            index.put("a", "", "a white swan", "", Map.of("v", 2));
            index.commit("3");
            assertThat(index.records()).isEqualTo(1);
            assertThat(index.search("horse", null, 10)).isEmpty();
            List<LexicalIndex.Hit> swan = index.search("swan", null, 10);
            assertThat(ids(swan)).containsExactly("a");
            assertThat(swan.get(0).metadata()).containsEntry("v", 2);
            // removing what is not there is no error
            index.remove("nobody");
            index.commit("4");
            assertThat(index.records()).isEqualTo(1);
        }
    }

    @Test
    void aCommitIsDurableAndWhatWasNotCommittedIsNot() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            assertThat(index.writes()).isTrue();
            assertThat(index.folder()).isEqualTo(dir);
            assertThat(index.floor()).isEqualTo("0");
            assertThat(index.records()).isZero();
            index.put("a", "", "a grey horse", "", Map.of("sub_theme", "ANIMAL"));
            index.commit("123");
            assertThat(index.floor()).isEqualTo("123");
            index.put("b", "", "a grey donkey", "", Map.of());
            index.refresh();
            // visible to searches, but not durable
            assertThat(index.records()).isEqualTo(2);
            assertThat(index.floor()).isEqualTo("123");
        }
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            assertThat(index.writes()).isTrue();
            assertThat(index.floor()).isEqualTo("123");
            assertThat(index.records()).isEqualTo(1);
            assertThat(index.ids()).containsExactly("a");
            List<LexicalIndex.Hit> hits = index.search("horses", null, 10);
            assertThat(ids(hits)).containsExactly("a");
            assertThat(hits.get(0).metadata()).containsEntry("sub_theme", "ANIMAL");
            assertThat(index.search("donkey", null, 10)).isEmpty();
        }
    }

    @Test
    void aSecondOpenWhileTheFirstIsOpenIsReadSide() throws IOException {
        try (var writer = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            writer.put("a", "", "a grey horse", "", Map.of());
            writer.commit("7");
            try (var reader = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
                assertThat(writer.writes()).isTrue();
                assertThat(reader.writes()).isFalse();
                assertThat(reader.floor()).isEqualTo("7");
                assertThat(reader.records()).isEqualTo(1);
                assertThat(ids(reader.search("horse", null, 10))).containsExactly("a");

                // the reader sees what is committed, not what is only put
                writer.put("b", "", "a grey donkey", "", Map.of());
                writer.refresh();
                assertThat(reader.records()).isEqualTo(1);
                assertThat(reader.search("donkey", null, 10)).isEmpty();
                writer.commit("8");
                assertThat(reader.floor()).isEqualTo("8");
                assertThat(reader.records()).isEqualTo(2);
                assertThat(ids(reader.search("donkey", null, 10))).containsExactly("b");
            }
        }
    }

    @Test
    void aReadSideOpenOfAnEmptyFolderFindsNothing() throws IOException {
        try (var writer = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS);
                var reader = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            assertThat(writer.writes()).isTrue();
            assertThat(reader.writes()).isFalse();
            assertThat(reader.floor()).isEqualTo("0");
            assertThat(reader.records()).isZero();
            assertThat(reader.search("horse", null, 10)).isEmpty();
        }
    }

    @Test
    void aLongQueryKeepsOnlyItsFirstWords() throws IOException {
        try (var index = LexicalIndex.open(dir, new LexicalIndex.Boosts(1, 1, 1, 1))) {
            index.put("first", "", "w1", "", Map.of());
            index.put("late", "", "w150", "", Map.of());
            index.commit("1");
            String text = IntStream.rangeClosed(1, 200).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
            assertThat(index.tokens(text)).hasSize(200);

            var query = (BooleanQuery) index.query(text);
            assertThat(query.clauses()).hasSize(LexicalIndex.MAX_WORDS);
            List<LexicalIndex.Hit> hits = index.search(text, null, 10);
            assertThat(ids(hits)).containsExactly("first");
            // the same words again count once
            assertThat(((BooleanQuery) index.query("w1 w1 W1 w2")).clauses()).hasSize(2);
        }
    }

    @Test
    void compactingMergesTheSegmentsAndKeepsEveryAnswerAndTheFloor() throws IOException {
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            // three commits, three segments; one record replaced and one removed across them
            for (int batch = 0; batch < 3; batch++) {
                for (int i = 0; i < 20; i++) {
                    index.put("r" + batch + "-" + i, "horse, field", (i % 2 == 0 ? "a grey horse" : "a cat") + " number" + i, "n" + i,
                            Map.of("theme", "T" + batch));
                }
                index.commit(String.valueOf(10 + batch));
            }
            index.put("r0-1", "", "a dog now", "n1", Map.of("theme", "T0"));
            index.remove("r1-2");
            index.commit("13");
            List<String> horses = ids(index.search("grey", null, 100));
            List<String> filtered = ids(index.search("cat", filter("{\"theme\":\"T2\"}"), 100));
            assertThat(horses).hasSize(29).doesNotContain("r1-2");
            assertThat(filtered).hasSize(10);

            assertThat(index.compact()).isTrue();
            assertThat(index.compact()).as("one segment: nothing to merge").isFalse();
            // the same records (ties may change order: the merge drops the removed records from BM25's statistics)
            assertThat(ids(index.search("grey", null, 100))).containsExactlyInAnyOrderElementsOf(horses);
            assertThat(ids(index.search("cat", filter("{\"theme\":\"T2\"}"), 100))).containsExactlyInAnyOrderElementsOf(filtered);
            assertThat(ids(index.search("dog", null, 10))).containsExactly("r0-1");
            assertThat(index.records()).isEqualTo(59);
            assertThat(index.floor()).isEqualTo("13");
        }
        // the merge was committed: a new process finds the same
        try (var index = LexicalIndex.open(dir, LexicalIndex.Boosts.DEFAULTS)) {
            assertThat(index.records()).isEqualTo(59);
            assertThat(index.floor()).isEqualTo("13");
            assertThat(index.compact()).isFalse();
        }
    }
}
