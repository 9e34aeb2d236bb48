package batchimage.api;

import batchimage.enrich.Enricher;
import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import batchimage.http.RequestJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enrichment over HTTP (docs/API.md "Enrichment"): {@code GET /api/enrich}, where the library stands (records missing
 * tags or paths, enriched, given up); {@code POST /api/enrich} {@code {"retry": bool}}, a pass of the enrich route now
 * (after giving the records given up another chance when {@code retry}), answering its counts and the library's.
 */
public final class EnrichApi {

    private static final Logger LOG = LoggerFactory.getLogger(EnrichApi.class);
    private static final ObjectMapper JSON = RequestJson.mapper();

    private final Enricher enricher;
    private final CamelContext camel;

    public EnrichApi(Enricher enricher, CamelContext camel) {
        this.enricher = enricher;
        this.camel = camel;
    }

    /** {@code GET /api/enrich}. */
    public void status(Exchange ex) {
        answer(ex, () -> JsonAnswer.of(200, Map.of("library", enricher.stats())));
    }

    /** {@code POST /api/enrich}. */
    public void run(Exchange ex) {
        answer(ex, () -> run(retryWanted(HttpRequests.jsonBody(ex))));
    }

    /** As {@link Answers#send}, but a request it cannot read is about {@code retry}, its one key. */
    private static void answer(Exchange ex, Answers.Handler h) {
        JsonAnswer a;
        try {
            a = h.handle();
        } catch (IllegalArgumentException e) {
            a = JsonAnswer.error(400, e.getMessage(), "retry");
        } catch (Exception e) {
            LOG.error("{} /api/enrich failed", ex.getMessage().getHeader(Exchange.HTTP_METHOD), e);
            a = JsonAnswer.error(500, e.getMessage());
        }
        a.send(ex);
    }

    private static boolean retryWanted(byte[] body) {
        if (body == null || body.length == 0) {
            return false;
        }
        JsonNode doc;
        try {
            doc = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("the body is not JSON: " + e.getMessage());
        }
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
            return false;
        }
        if (!doc.isObject()) {
            throw new IllegalArgumentException("the body is a JSON object such as {\"retry\": true}");
        }
        JsonNode retry = doc.path("retry");
        if (!retry.isMissingNode() && !retry.isBoolean()) {
            throw new IllegalArgumentException("retry is true or false, found " + retry);
        }
        return retry.asBoolean(false);
    }

    private JsonAnswer run(boolean retry) throws Exception {
        int reopened = retry ? enricher.retryGivenUp() : 0;
        ProducerTemplate producer = camel.createProducerTemplate();
        try {
            Exchange done = producer.send("direct:enrich", e -> { });
            Throwable failure = done.getException() != null ? done.getException() : done.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            if (failure != null) {
                return JsonAnswer.error(503, "the enrich pass stopped: " + failure.getMessage());
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> answer = new LinkedHashMap<>(done.getMessage().getBody(Map.class));
            if (retry) {
                answer.put("retried", reopened);
            }
            return JsonAnswer.of(200, answer);
        } finally {
            producer.stop();
        }
    }
}
