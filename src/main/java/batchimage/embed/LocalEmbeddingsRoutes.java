package batchimage.embed;

import org.apache.camel.Exchange;
import batchimage.web.JsonAnswer;
import org.apache.camel.builder.RouteBuilder;

/** Serves the local models over HTTP as OpenAI does: {@code POST /v1/embeddings}, {@code GET /v1/models}. */
public final class LocalEmbeddingsRoutes extends RouteBuilder {

    private final EmbeddingsApi api;

    public LocalEmbeddingsRoutes(EmbeddingsApi api) {
        this.api = api;
    }

    @Override
    public void configure() {
        // curl -d sends form encoding; the body is JSON whatever the header says
        from("platform-http:/v1/embeddings?httpMethodRestrict=POST&produces=application/json&populateBodyWithForm=false")
                .routeId("local-embeddings")
                .process(ex -> api.embeddings(requestBody(ex)).send(ex));

        from("platform-http:/v1/models?httpMethodRestrict=GET&produces=application/json")
                .routeId("local-models")
                .process(ex -> api.models().send(ex));
    }

    /**
     * The JSON body. {@code curl -d} labels it application/x-www-form-urlencoded, and the HTTP server then
     * parses it as a form whose one field name is the JSON text: that name is the body.
     */
    static byte[] requestBody(Exchange ex) {
        var m = ex.getMessage();
        byte[] body = m.getBody(byte[].class);
        String type = m.getHeader(Exchange.CONTENT_TYPE, "", String.class);
        if ((body == null || body.length == 0) && type.startsWith("application/x-www-form-urlencoded")) {
            for (var e : m.getHeaders().entrySet()) {
                String name = e.getKey().strip();
                if ((name.startsWith("{") || name.startsWith("[")) && (e.getValue() == null || e.getValue().toString().isEmpty())) {
                    return name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                }
            }
        }
        return body;
    }

}
