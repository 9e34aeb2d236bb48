package batchimage.embed;

import batchimage.web.HttpRequests;
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
                .process(ex -> api.embeddings(HttpRequests.jsonBody(ex)).send(ex));

        from("platform-http:/v1/models?httpMethodRestrict=GET&produces=application/json")
                .routeId("local-models")
                .process(ex -> api.models().send(ex));
    }

}
