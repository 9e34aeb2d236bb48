package batchimage.api;

import batchimage.enrich.Enricher;

import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/enrich}: where the library stands (records missing tags or paths, enriched, given up);
 * {@code POST /api/enrich} {@code {"retry": bool}}: runs a pass of the enrich route now (after giving the
 * records given up another chance when {@code retry}) and answers its counts and the library's.
 */
public final class EnrichRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(EnrichRoutes.class);
    private static final ObjectMapper JSON = batchimage.http.RequestJson.mapper();

    private Enricher enricher() {
        Enricher e = getContext().getRegistry().lookupByNameAndType("enricher", Enricher.class);
        if (e == null) {
            throw new IllegalStateException("no enricher bean in the registry");
        }
        return e;
    }

    @Override
    public void configure() {
        from("platform-http:/api/enrich?httpMethodRestrict=GET,POST&populateBodyWithForm=false").routeId("api-enrich")
                .process(ex -> {
                    JsonAnswer a;
                    try {
                        boolean post = "POST".equals(ex.getMessage().getHeader(Exchange.HTTP_METHOD, String.class));
                        a = post ? run(retryWanted(HttpRequests.jsonBody(ex))) : JsonAnswer.of(200, Map.of("library", enricher().stats()));
                    } catch (IllegalArgumentException e) {
                        a = JsonAnswer.error(400, e.getMessage(), "retry");
                    } catch (Exception e) {
                        LOG.error("{} /api/enrich failed", ex.getMessage().getHeader(Exchange.HTTP_METHOD), e);
                        a = JsonAnswer.error(500, e.getMessage());
                    }
                    a.send(ex);
                });
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
        int reopened = retry ? enricher().retryGivenUp() : 0;
        ProducerTemplate producer = getContext().createProducerTemplate();
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
