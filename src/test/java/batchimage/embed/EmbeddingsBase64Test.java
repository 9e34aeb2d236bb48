package batchimage.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import java.time.Duration;
import java.util.List;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client decodes base64 embeddings from the parser's buffer: padded or not, and a bad one is a malformed answer. */
class EmbeddingsBase64Test {

    private static final int DIMS = 8;
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private StubHttpServer stub;
    private EmbeddingsClient client;

    @AfterEach
    void stop() {
        client.close();
        stub.close();
        camel.stop();
    }

    private EmbeddingsClient client(int retries) {
        camel.start();
        var cfg = new EmbeddingsConfig(EmbeddingsConfig.Provider.OPENAI_COMPATIBLE, stub.url("/v1/embeddings"), null, null, null,
                "stub-model", true, DIMS, false, true, 16, 300_000, 8000, 1, retries, Duration.ofSeconds(5));
        client = new EmbeddingsClient(camel, cfg);
        return client;
    }

    @Test
    void decodesPaddedAndUnpaddedBase64ToTheSameVectors() {
        var bodies = new java.util.ArrayList<String>();
        stub = new StubHttpServer((r, n) -> {
            String answer = EmbeddingsStub.answer(r.body(), DIMS);
            bodies.add(answer);
            // the second answer: the same vectors with their '=' padding left off
            return Reply.json(200, n == 1 ? answer : answer.replace("=\"", "\""));
        });
        List<String> texts = List.of("a", "b", "c");
        List<float[]> padded = client(0).embed(texts);
        List<float[]> unpadded = client.embed(texts);
        assertThat(bodies.get(0)).contains("=\"");
        for (int i = 0; i < texts.size(); i++) {
            assertThat(unpadded.get(i)).hasSize(DIMS).isEqualTo(padded.get(i));
        }
        assertThat(padded.get(0)).isNotEqualTo(padded.get(1));
    }

    @Test
    void anEmbeddingThatIsNotBase64IsAMalformedAnswerThatIsRetried() {
        stub = new StubHttpServer((r, n) -> Reply.json(200, n == 1
                ? EmbeddingsStub.answer(r.body(), DIMS).replaceFirst("\"embedding\":\"", "\"embedding\":\"%%%%")
                : EmbeddingsStub.answer(r.body(), DIMS)));
        assertThat(client(1).embed(List.of("a", "b"))).hasSize(2);
        assertThat(client.stats()).containsEntry("retries", 1L);
        assertThatThrownBy(() -> {
            stub.handler((r, n) -> Reply.json(200, EmbeddingsStub.answer(r.body(), DIMS).replaceFirst("\"embedding\":\"", "\"embedding\":\"%%%%")));
            client.embed(List.of("a"));
        }).isInstanceOf(EmbeddingsException.class).hasMessageContaining("not valid base64");
    }
}
