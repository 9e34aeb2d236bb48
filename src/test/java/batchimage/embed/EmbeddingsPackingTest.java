package batchimage.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

class EmbeddingsPackingTest {

    private static EmbeddingsClient client(int maxInputs, int maxRequestTokens, int maxInputTokens) {
        var cfg = new EmbeddingsConfig(EmbeddingsConfig.Provider.OPENAI_COMPATIBLE, "http://127.0.0.1:9/v1/embeddings", null, null, null,
                "m", true, 8, false, true, maxInputs, maxRequestTokens, maxInputTokens, 1, 0, Duration.ofSeconds(1));
        return new EmbeddingsClient(new DefaultCamelContext(), cfg);
    }

    @Test
    void neverMoreThanTheInputLimitPerRequest() {
        var texts = new ArrayList<String>();
        for (int i = 0; i < 5000; i++) {
            texts.add("t" + i);
        }
        List<List<String>> requests = client(2048, 300_000, 8000).pack(texts);
        assertThat(requests).extracting(List::size).containsExactly(2048, 2048, 904);
    }

    @Test
    void neverMoreThanTheTokenEstimatePerRequest() {
        String thousandTokens = "abc".repeat(1000);
        var texts = new ArrayList<String>();
        for (int i = 0; i < 10; i++) {
            texts.add(thousandTokens);
        }
        List<List<String>> requests = client(2048, 3500, 8000).pack(texts);
        assertThat(requests).extracting(List::size).containsExactly(3, 3, 3, 1);
    }

    @Test
    void overLongInputsAreCutAndCountedNotFailed() {
        var c = client(2048, 300_000, 100);
        List<List<String>> requests = c.pack(List.of("x".repeat(10_000), "short", "\ud83d\udc08".repeat(500)));
        assertThat(EmbeddingsClient.estimateTokens(requests.get(0).get(0))).isLessThanOrEqualTo(100);
        assertThat(requests.get(0).get(1)).isEqualTo("short");
        String cats = requests.get(0).get(2);
        assertThat(Character.isHighSurrogate(cats.charAt(cats.length() - 1))).as("no half emoji").isFalse();
        assertThat(c.stats()).containsEntry("truncated", 2L);
    }

    @Test
    void blankTextsAreTheCallersToLeaveOut() {
        assertThatThrownBy(() -> client(10, 1000, 100).pack(List.of("a", " "))).hasMessageContaining("text 1 is empty");
    }

    @Test
    void backoffGrowsToEightSecondsWithJitter() {
        assertThat(EmbeddingsClient.BACKOFF.delay(0)).isBetween(375L, 500L);
        assertThat(EmbeddingsClient.BACKOFF.delay(2)).isBetween(1500L, 2000L);
        assertThat(EmbeddingsClient.BACKOFF.delay(10)).isBetween(6000L, 8000L);
    }
}
