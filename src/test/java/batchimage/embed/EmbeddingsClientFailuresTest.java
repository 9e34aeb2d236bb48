package batchimage.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against a stub server that plays every failure shape of PROTOCOLS.md B.1/B.2. */
class EmbeddingsClientFailuresTest {

    private static final int DIMS = 8;
    private DefaultCamelContext camel;
    private StubHttpServer stub;
    private EmbeddingsClient client;

    @BeforeEach
    void start() {
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (stub != null) {
            stub.close();
        }
        camel.stop();
    }

    private EmbeddingsClient client(int maxInputs, int inFlight, int retries, long timeoutMs) {
        var cfg = new EmbeddingsConfig(EmbeddingsConfig.Provider.OPENAI_COMPATIBLE, stub.url("/v1/embeddings"), null, null, null,
                "stub-model", true, DIMS, false, true, maxInputs, 300_000, 8000, inFlight, retries, Duration.ofMillis(timeoutMs));
        client = new EmbeddingsClient(camel, cfg);
        return client;
    }

    private static List<String> texts(int n) {
        var out = new ArrayList<String>();
        for (int i = 0; i < n; i++) {
            out.add("text number " + i);
        }
        return out;
    }

    private static Reply ok(StubHttpServer.Seen r) {
        return Reply.json(200, EmbeddingsStub.answer(r.body(), DIMS));
    }

    private static Reply rateLimited() {
        return Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
    }

    @Test
    void a429WithRetryAfterMsIsRetriedAfterThatLong() {
        stub = new StubHttpServer((r, n) -> n == 1 ? rateLimited().withHeader("retry-after-ms", "700") : ok(r));
        assertThat(client(16, 2, 3, 5000).embed(texts(3))).hasSize(3);
        assertThat(stub.seen()).hasSize(2);
        assertThat(stub.seen().get(1).atMillis() - stub.seen().get(0).atMillis()).isGreaterThanOrEqualTo(650);
        assertThat(client.stats()).containsEntry("retries", 1L).containsEntry("throttled", 1L).containsEntry("failures", 0L);
    }

    @Test
    void a429WithRetryAfterSecondsOrAzureMsHeaderOrAnHttpDateIsHonoured() {
        stub = new StubHttpServer((r, n) -> switch (n) {
            case 1 -> rateLimited().withHeader("Retry-After", "1");
            case 2 -> rateLimited().withHeader("x-ms-retry-after-ms", "2500");
            // five seconds from now, written to the second: at least four seconds away
            case 3 -> rateLimited().withHeader("Retry-After",
                    ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(5).format(DateTimeFormatter.RFC_1123_DATE_TIME));
            default -> ok(r);
        });
        assertThat(client(16, 1, 5, 5000).embed(texts(2))).hasSize(2);
        var s = stub.seen();
        assertThat(s).hasSize(4);
        assertThat(s.get(1).atMillis() - s.get(0).atMillis()).isGreaterThanOrEqualTo(950);
        // each wait is longer than the client's own backoff for that attempt (at most 0.5, 1 and 2 s), so it came from the header
        assertThat(s.get(2).atMillis() - s.get(1).atMillis()).isGreaterThanOrEqualTo(2450);
        assertThat(s.get(3).atMillis() - s.get(2).atMillis()).isGreaterThanOrEqualTo(3900);
    }

    @Test
    void a500ThenSuccessIsOneRetry() {
        stub = new StubHttpServer((r, n) -> n == 1 ? Reply.json(500, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,\"code\":null}}") : ok(r));
        assertThat(client(16, 1, 3, 5000).embed(texts(5))).hasSize(5);
        assertThat(client.stats()).containsEntry("retries", 1L).containsEntry("calls", 1L).containsEntry("inputs", 5L);
    }

    @Test
    void aHangingServerTimesOutAndIsRetriedThenFailsWithAClearMessage() {
        stub = new StubHttpServer((r, n) -> ok(r).after(3000));
        assertThatThrownBy(() -> client(16, 1, 1, 300).embed(texts(1)))
                .isInstanceOf(EmbeddingsException.class)
                .hasMessageContaining("no answer within 300 ms")
                .hasMessageContaining("after 2 attempts");
        assertThat(stub.seen()).hasSize(2);
    }

    @Test
    void aBodyThatIsNotJsonIsAnErrorShowingWhatCameBack() {
        stub = new StubHttpServer((r, n) -> new Reply(200, java.util.Map.of("Content-Type", "text/html"), "<html>gateway says hi</html>", 0));
        assertThatThrownBy(() -> client(16, 1, 1, 5000).embed(texts(1)))
                .isInstanceOf(EmbeddingsException.class)
                .hasMessageContaining("not valid JSON")
                .hasMessageContaining("<html>gateway says hi</html>");
    }

    @Test
    void theWrongNumberOfVectorsIsAnError() {
        stub = new StubHttpServer((r, n) -> Reply.json(200, EmbeddingsStub.answer(r.body(), EmbeddingsStub.inputs(r.body()) - 1, DIMS)));
        assertThatThrownBy(() -> client(16, 1, 0, 5000).embed(texts(3)))
                .isInstanceOf(EmbeddingsException.class)
                .hasMessageContaining("2 vectors for 3 inputs");
    }

    @Test
    void theWrongDimensionIsAnError() {
        stub = new StubHttpServer((r, n) -> Reply.json(200, EmbeddingsStub.answer(r.body(), DIMS + 4)));
        assertThatThrownBy(() -> client(16, 1, 0, 5000).embed(texts(2)))
                .isInstanceOf(EmbeddingsException.class)
                .hasMessageContaining("12 dimensions at index 0, expected 8");
    }

    @Test
    void aNonFiniteValueIsAnError() {
        stub = new StubHttpServer((r, n) -> Reply.json(200,
                "{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4,5,6,7,\"NaN\"]}],\"usage\":{\"total_tokens\":1}}".replace("\"NaN\"", "1e999")));
        var cfg = new EmbeddingsConfig(EmbeddingsConfig.Provider.OPENAI_COMPATIBLE, stub.url("/v1/embeddings"), null, null, null,
                "m", true, DIMS, false, false, 16, 300_000, 8000, 1, 0, Duration.ofSeconds(5));
        client = new EmbeddingsClient(camel, cfg);
        assertThatThrownBy(() -> client.embed(texts(1))).hasMessageContaining("not a finite number");
    }

    @Test
    void aBilling429IsNotRetried() {
        stub = new StubHttpServer((r, n) -> Reply.json(429,
                "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}")
                .withHeader("Retry-After", "1"));
        assertThatThrownBy(() -> client(16, 1, 5, 5000).embed(texts(1)))
                .isInstanceOfSatisfying(EmbeddingsException.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("insufficient_quota", "You exceeded your current quota", "billing");
                });
        assertThat(stub.seen()).hasSize(1);
    }

    @Test
    void otherClientErrorsAreNotRetriedAndCarryTheServersMessage() {
        stub = new StubHttpServer((r, n) -> Reply.json(400,
                "{\"error\":{\"message\":\"'input' is invalid\",\"type\":\"invalid_request_error\",\"param\":\"input\",\"code\":null}}"));
        assertThatThrownBy(() -> client(16, 1, 5, 5000).embed(texts(1)))
                .hasMessageContaining("answered 400").hasMessageContaining("'input' is invalid");
        assertThat(stub.seen()).hasSize(1);
    }

    @Test
    void after429EveryCallerWaitsNotOnlyTheOneThatGotIt() throws Exception {
        // request 1 is throttled for 800 ms; requests sent by other callers meanwhile must wait too
        stub = new StubHttpServer((r, n) -> n == 1 ? rateLimited().withHeader("retry-after-ms", "800") : ok(r).after(50));
        client(1, 4, 3, 5000);
        CompletableFuture<List<float[]>> first = CompletableFuture.supplyAsync(() -> client.embed(List.of("first")));
        while (stub.seen().isEmpty()) {
            Thread.sleep(5);
        }
        long throttledAt = stub.seen().get(0).atMillis();
        Thread.sleep(100);
        List<float[]> others = client.embed(texts(6));
        assertThat(first.get()).hasSize(1);
        assertThat(others).hasSize(6);
        assertThat(stub.seen().subList(1, stub.seen().size()))
                .allSatisfy(s -> assertThat(s.atMillis() - throttledAt).isGreaterThanOrEqualTo(750));
    }

    @Test
    void requestsInFlightNeverExceedTheBound() {
        stub = new StubHttpServer((r, n) -> ok(r).after(100));
        List<float[]> out = client(2, 3, 0, 5000).embed(texts(30));
        assertThat(out).hasSize(30);
        assertThat(stub.seen()).hasSize(15);
        assertThat(stub.maxInFlight()).isBetween(2, 3);
    }
}
