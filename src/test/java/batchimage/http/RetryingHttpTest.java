package batchimage.http;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one HTTP client under every client of the app (embeddings, Pinecone, ComfyUI, the CLI): what its transport does
 * on its own (nothing: no retries, no redirects), a request's own wait for its answer, and a body written to a file.
 */
class RetryingHttpTest {

    private final List<String> told = new CopyOnWriteArrayList<>();
    private final RetryingHttp.Listener listener = new RetryingHttp.Listener() {
        @Override
        public void answered(String client, String operation, String status, long nanos) {
            told.add(client + " " + operation + " " + status);
        }

        @Override
        public void retried(String client, String reason) {
            told.add(client + " retried " + reason);
        }
    };
    private StubHttpServer stub;
    private RetryingHttp http;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (http != null) {
            http.close();
        }
        if (stub != null) {
            stub.close();
        }
    }

    /** No retries, as ComfyClient and the CLI's ServiceCall use it. */
    private RetryingHttp once(Duration timeout) {
        http = new RetryingHttp("probe", "probe-request", new RetryingHttp.Policy(1, 0, timeout, RetryingHttp.Backoff.NONE, false), listener);
        return http;
    }

    @Test
    void aPolicyOfNoRetriesAsksOnceEvenWhenTheServerSaysToRetryLater() {
        // Apache HttpClient retries a 503 with Retry-After on its own unless told not to
        stub = new StubHttpServer((r, n) -> Reply.json(503, "{\"error\":\"busy\"}").withHeader("Retry-After", "1"));
        RetryingHttp.Answer answer = once(Duration.ofSeconds(5)).send("probe", "op", RetryingHttp.Request.get(stub.url("/busy")), a -> a);
        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.text()).contains("busy");
        assertThat(answer.serverDelayMs()).isEqualTo(1000);
        assertThat(stub.seen()).hasSize(1);
        assertThat(told).containsExactly("probe op 503");
    }

    @Test
    void aRedirectIsAnAnswerNotFollowed() {
        stub = new StubHttpServer((r, n) -> new Reply(302, Map.of("Location", "/elsewhere"), "", 0));
        RetryingHttp.Answer answer = once(Duration.ofSeconds(5)).send("probe", "op", RetryingHttp.Request.get(stub.url("/here")), a -> a);
        assertThat(answer.status()).isEqualTo(302);
        assertThat(answer.header("location")).isEqualTo("/elsewhere");
        assertThat(stub.seen()).extracting(StubHttpServer.Seen::path).containsExactly("/here");
    }

    @Test
    void aRequestWaitsForItsAnswerAsLongAsItsOwnTimeoutSays() {
        stub = new StubHttpServer((r, n) -> Reply.json(200, "{\"late\":true}").after(700));
        once(Duration.ofMillis(200));
        RetryingHttp.Answer policys = http.send("probe", "op", RetryingHttp.Request.get(stub.url("/slow")), a -> a);
        RetryingHttp.Answer own = http.send("probe", "op", RetryingHttp.Request.get(stub.url("/slow")).timeout(Duration.ofSeconds(10)), a -> a);
        assertThat(policys.status()).isZero();
        assertThat(RetryingHttp.noAnswer(policys.failure())).isEqualTo("timeout");
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.text()).isEqualTo("{\"late\":true}");
        assertThat(told).containsExactly("probe op timeout", "probe op 200");
    }

    @Test
    void aPostCarriesItsHeadersQueryAndBodyAsGiven() {
        stub = new StubHttpServer((r, n) -> Reply.json(200, "{}"));
        byte[] body = "{\"input\":[\"a cat\"]}".getBytes(StandardCharsets.UTF_8);
        once(Duration.ofSeconds(5)).send("probe", "op", RetryingHttp.Request.post(stub.url("/v1/embeddings"), "application/json", body)
                .query("api-version=2024-10-21").header("api-key", "k").header("Authorization", null), a -> a);
        var seen = stub.seen().get(0);
        assertThat(seen.method()).isEqualTo("POST");
        assertThat(seen.query()).isEqualTo("api-version=2024-10-21");
        assertThat(seen.header("Content-Type")).isEqualTo("application/json");
        assertThat(seen.header("api-key")).isEqualTo("k");
        assertThat(seen.header("Authorization")).isNull();
        assertThat(seen.body()).isEqualTo("{\"input\":[\"a cat\"]}");
    }

    @Test
    void aDownloadWritesA200sBodyToTheFileAndKeepsAnyOtherAnswersBody() throws Exception {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2, 3};
        stub = new StubHttpServer((r, n) -> r.path().equals("/view") ? Reply.bytes(200, "image/png", png) : Reply.json(404, "{\"error\":\"no such file\"}"));
        once(Duration.ofSeconds(5));
        Path image = dir.resolve("image.png");
        Path missing = dir.resolve("missing.png");
        RetryingHttp.Answer got = http.download("probe", "view", RetryingHttp.Request.get(stub.url("/view")), image, a -> a);
        RetryingHttp.Answer notFound = http.download("probe", "view", RetryingHttp.Request.get(stub.url("/gone")), missing, a -> a);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body()).isNull();
        assertThat(Files.readAllBytes(image)).containsExactly(png);
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.text()).contains("no such file");
        assertThat(missing).doesNotExist();
    }
}
