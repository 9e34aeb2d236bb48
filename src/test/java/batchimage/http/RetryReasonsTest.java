package batchimage.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the retry counter calls a retry: the status of the answer, or why no answer came. */
class RetryReasonsTest {

    private record Failed(int status) implements RetryingHttp.Failure {
        @Override
        public boolean retryable() {
            return true;
        }

        @Override
        public RuntimeException afterAttempts(int attempts) {
            return new IllegalStateException();
        }
    }

    private static RetryingHttp.Answer answer(int status, Exception failure) {
        return new RetryingHttp.Answer(status, null, Map.of(), failure);
    }

    @Test
    void answersAreNamedByTheirStatus() {
        assertThat(RetryingHttp.reason(new Failed(429), answer(429, null))).isEqualTo("429");
        assertThat(RetryingHttp.reason(new Failed(503), answer(503, null))).isEqualTo("5xx");
        assertThat(RetryingHttp.reason(new Failed(500), answer(500, null))).isEqualTo("5xx");
        assertThat(RetryingHttp.reason(new Failed(408), answer(408, null))).isEqualTo("timeout");
        // a 200 whose body could not be read, a 409
        assertThat(RetryingHttp.reason(new Failed(200), answer(200, null))).isEqualTo("other");
        assertThat(RetryingHttp.reason(new Failed(409), answer(409, null))).isEqualTo("other");
    }

    @Test
    void noAnswerIsATimeoutOrAConnectionFailure() {
        var timeout = new IllegalStateException("request failed", new SocketTimeoutException("Read timed out"));
        var refused = new IllegalStateException("request failed", new ConnectException("Connection refused"));
        assertThat(RetryingHttp.reason(new Failed(0), answer(0, timeout))).isEqualTo("timeout");
        assertThat(RetryingHttp.reason(new Failed(0), answer(0, refused))).isEqualTo("connection");
        assertThat(RetryingHttp.noAnswer(new java.io.IOException("Connection reset"))).isEqualTo("connection");
    }
}
