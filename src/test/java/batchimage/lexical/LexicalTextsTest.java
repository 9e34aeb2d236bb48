package batchimage.lexical;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a record gives the lexical side: its tags, prompt and name without the syntax image generators read. */
class LexicalTextsTest {

    @Test
    void attentionWeightsEmphasisAndDeEmphasisLeaveTheirWords() {
        assertThat(LexicalTexts.prompt("(masterpiece:1.2), a castle")).isEqualTo("masterpiece , a castle");
        assertThat(LexicalTexts.prompt("(sunset: 0.85 ) over the sea")).isEqualTo("sunset over the sea");
        assertThat(LexicalTexts.prompt("(blurry:-0.5)")).isEqualTo("blurry");
        assertThat(LexicalTexts.prompt("((best quality)), (((detailed)))")).isEqualTo("best quality , detailed");
        assertThat(LexicalTexts.prompt("[low contrast] photo")).isEqualTo("low contrast photo");
        assertThat(LexicalTexts.prompt("[[grain:0.8]]")).isEqualTo("grain");
    }

    @Test
    void aColonNotFollowedByAWeightStays() {
        // only a number before a closing bracket is a weight
        assertThat(LexicalTexts.prompt("(ratio 16:9 frame)")).isEqualTo("ratio 16:9 frame");
        assertThat(LexicalTexts.prompt("(style:anime)")).isEqualTo("style:anime");
    }

    @Test
    void alternationBracesAndEscapedParenthesesLeaveTheirWords() {
        assertThat(LexicalTexts.prompt("a {red|blue|green} car")).isEqualTo("a red blue green car");
        assertThat(LexicalTexts.prompt("Mona Lisa \\(painting\\) by Leonardo")).isEqualTo("Mona Lisa painting by Leonardo");
        assertThat(LexicalTexts.prompt("\\(1girl\\)")).isEqualTo("1girl");
        String mixed = LexicalTexts.prompt("((a (cat:1.3) on {a|the} [sofa]:1.1)), \\(photo\\)");
        // what stays is no syntax at all, and every word
        assertThat(mixed).doesNotContainPattern("[()\\[\\]{}|\\\\]|:\\d");
        assertThat(mixed.split("[ ,]+")).containsExactly("a", "cat", "on", "a", "the", "sofa", "photo");
    }

    @Test
    void extraNetworksKeepTheirNameAndLoseTheirWeight() {
        assertThat(LexicalTexts.prompt("a portrait <lora:add_detail:0.7>")).isEqualTo("a portrait add detail");
        assertThat(LexicalTexts.prompt("<lora:pixelArt>, city")).isEqualTo("pixelArt , city");
        assertThat(LexicalTexts.prompt("<LORA: film_grain : 1>")).isEqualTo("film grain");
        assertThat(LexicalTexts.prompt("<lyco:watercolor:0.5> <hypernet:sketchy:1> <embedding:easynegative>"))
                .isEqualTo("watercolor sketchy easynegative");
        assertThat(LexicalTexts.prompt("<lora:neon_city_v2:0.6>")).isEqualTo("neon city v2");
        // another tag in angle brackets is markup, not words
        assertThat(LexicalTexts.prompt("a dog <br> on grass")).isEqualTo("a dog on grass");
    }

    @Test
    void breakGoesOnlyAsAWholeUpperCaseWord() {
        assertThat(LexicalTexts.prompt("a forest BREAK a river")).isEqualTo("a forest a river");
        assertThat(LexicalTexts.prompt("BREAK,BREAK")).isEqualTo(",");
        assertThat(LexicalTexts.prompt("BREAKFAST BREAK on a break, breakdance")).isEqualTo("BREAKFAST on a break, breakdance");
        assertThat(LexicalTexts.prompt("heartBREAK BREAK BREAK_POINT Break")).isEqualTo("heartBREAK BREAK_POINT Break");
    }

    @Test
    void tagsHaveSpacesForUnderscoresAndLoseBrackets() {
        assertThat(LexicalTexts.tags("long_hair, blue_eyes, smile")).isEqualTo("long hair, blue eyes, smile");
        assertThat(LexicalTexts.tags("  cat ,\n dog  ")).isEqualTo("cat , dog");
        assertThat(LexicalTexts.tags("(smile), [blurry], {day|night}, \\(artist\\)")).isEqualTo("smile , blurry , day night , artist");
    }

    @Test
    void namesHaveSpacesForUnderscores() {
        assertThat(LexicalTexts.name("sunset_over_the_bay_01")).isEqualTo("sunset over the bay 01");
        assertThat(LexicalTexts.name("ComfyUI_00042_")).isEqualTo("ComfyUI 00042");
        assertThat(LexicalTexts.name("  two__words ")).isEqualTo("two words");
    }

    @Test
    void blankOrMissingTextIsEmpty() {
        for (String blank : new String[] {null, "", "   ", "\n\t"}) {
            assertThat(LexicalTexts.prompt(blank)).isEmpty();
            assertThat(LexicalTexts.tags(blank)).isEmpty();
            assertThat(LexicalTexts.name(blank)).isEmpty();
        }
        // only syntax: nothing left either
        assertThat(LexicalTexts.prompt("(( )) [ ] {|} BREAK <lora::0.5>")).isEmpty();
        assertThat(LexicalTexts.tags("_ ( ) [ ] { | }")).isEmpty();
    }

    @Test
    void longTextIsCutAndNeverInsideAPairOfSurrogates() {
        String words = "horse ".repeat(10_000);
        assertThat(LexicalTexts.prompt(words)).hasSizeLessThanOrEqualTo(LexicalTexts.MAX_CHARS)
                .hasSizeGreaterThan(LexicalTexts.MAX_CHARS - 10).startsWith("horse horse");
        assertThat(LexicalTexts.tags("a_b, ".repeat(10_000))).hasSizeLessThanOrEqualTo(LexicalTexts.MAX_CHARS);
        assertThat(LexicalTexts.name("n".repeat(50_000))).hasSize(LexicalTexts.MAX_CHARS);
        // an emoji whose high surrogate is the last char before the cut goes whole
        String emojiAtCut = "x".repeat(LexicalTexts.MAX_CHARS - 1) + "\uD83D\uDC0E" + "y".repeat(100);
        String cut = LexicalTexts.name(emojiAtCut);
        assertThat(cut).hasSize(LexicalTexts.MAX_CHARS - 1);
        assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - 1))).isFalse();
        // a text at the limit is kept whole
        assertThat(LexicalTexts.name("z".repeat(LexicalTexts.MAX_CHARS))).hasSize(LexicalTexts.MAX_CHARS);
    }
}
