package batchimage.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The text each namespace embeds and the metadata it carries (DESIGN.md "Records"). */
class IndexTextsTest {

    @Test
    void promptTextFollowsTheOldExtractPromptFromJson() {
        assertThat(IndexTexts.promptText("a plain text prompt, not JSON")).isEqualTo("a plain text prompt, not JSON");
        assertThat(IndexTexts.promptText("{\"prompt\": \"string prompt inside JSON\"}")).isEqualTo("string prompt inside JSON");
        assertThat(IndexTexts.promptText("{\"prompt\": {\"description\": \"a lighthouse at dusk\"}}")).isEqualTo("a lighthouse at dusk");
        assertThat(IndexTexts.promptText("{\"prompt\": {\"subject\": \"a cat\", \"style\": \"photo\"}}")).isEqualTo("subject: a cat\nstyle: photo");
        assertThat(IndexTexts.promptText("{\"prompt\": {\"description\": {\"scene\": \"a bay\", \"mood\": \"cinematic\"}}}"))
                .isEqualTo("description:\n  scene: a bay\n  mood: cinematic");
        assertThat(IndexTexts.promptText("{\"scene\": \"a bay\", \"tags\": [\"sea\", \"boat\"]}")).isEqualTo("scene: a bay\ntags: sea, boat");
        assertThat(IndexTexts.promptText("\"quoted\"")).isEqualTo("quoted");
        assertThat(IndexTexts.promptText("")).isEmpty();
        assertThat(IndexTexts.promptText(null)).isEmpty();
        assertThat(IndexTexts.promptText("{\"prompt\": \"\"}")).isEmpty();
    }

    @Test
    void metadataKeepsTheOldKeysAddsTagsAndHasNoNulls() {
        Map<String, Object> m = IndexTexts.metadata("bull_01", null, "bull, market , , bull", "finance", "BULL", "x".repeat(600));
        assertThat(m).containsOnlyKeys("name", "description", "theme", "sub_theme", "original_prompt", "tags");
        assertThat((String) m.get("original_prompt")).hasSize(500);
        assertThat(m.get("tags")).isEqualTo(List.of("bull", "market"));
        assertThat(IndexTexts.metadata("n", "", "", "t", "s", null)).containsOnlyKeys("name", "theme", "sub_theme");
    }
}
