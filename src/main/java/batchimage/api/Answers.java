package batchimage.api;

import batchimage.http.ApiError;
import batchimage.http.HttpFailure;
import batchimage.http.JsonAnswer;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How the API beans answer: a handler's JSON answer, or the error it meets in the API's shape {@code {"error", "status", "field"?}}. */
public final class Answers {

    private static final Logger LOG = LoggerFactory.getLogger(Answers.class);

    /** The work of one request: its answer, or an {@link ApiError} that says what is wrong with the request. */
    @FunctionalInterface
    public interface Handler {
        JsonAnswer handle() throws Exception;
    }

    private Answers() {
    }

    /** Runs a handler and sends its answer, or the error it meets: 4xx as the handler says, 503/502 for the index or model, else 500. */
    public static void send(Exchange ex, Handler h) {
        JsonAnswer a;
        try {
            a = h.handle();
        } catch (ApiError e) {
            a = e.answer();
        } catch (HttpFailure e) {
            // the embeddings service or the index: 503 when waiting may help, else 502
            LOG.warn("{} {}: {}", ex.getMessage().getHeader(Exchange.HTTP_METHOD), ex.getMessage().getHeader(Exchange.HTTP_PATH), e.getMessage());
            a = JsonAnswer.error(e.retryable() ? 503 : 502, e.getMessage());
        } catch (Exception e) {
            LOG.error("{} {} failed", ex.getMessage().getHeader(Exchange.HTTP_METHOD), ex.getMessage().getHeader(Exchange.HTTP_PATH), e);
            a = JsonAnswer.error(500, e.getMessage());
        }
        a.send(ex);
    }
}
