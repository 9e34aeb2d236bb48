package batchimage.embed;

import batchimage.http.HttpRequests;
import batchimage.http.server.UnknownPaths;
import org.apache.camel.builder.RouteBuilder;

/** Serves the local models over HTTP as OpenAI does: {@code POST /v1/embeddings}, {@code GET /v1/models}, {@code GET /v1/models/{id}}. */
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

        from("platform-http:/v1/models/{id}?httpMethodRestrict=GET&produces=application/json")
                .routeId("local-model")
                .process(ex -> api.model(ex.getMessage().getHeader("id", String.class)).send(ex));

        // last: every other path under /v1 answers in OpenAI's error shape, not the server's HTML page
        UnknownPaths.answer(this, "/v1", "local-embeddings-unknown", api::unknownPath);
    }

}
