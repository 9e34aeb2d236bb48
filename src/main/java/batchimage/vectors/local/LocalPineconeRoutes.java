package batchimage.vectors.local;

import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.camel.builder.RouteBuilder;

/** Serves the local index as Pinecone's data plane under {@code /pinecone} (camelCase JSON, Pinecone's paths). */
public final class LocalPineconeRoutes extends RouteBuilder {

    private final PineconeApi api;

    public LocalPineconeRoutes(PineconeApi api) {
        this.api = api;
    }

    @Override
    public void configure() {
        post("/vectors/upsert", "pinecone-upsert", api::upsert);
        post("/query", "pinecone-query", api::query);
        post("/vectors/delete", "pinecone-delete", api::delete);
        post("/vectors/update", "pinecone-update", api::update);
        post("/describe_index_stats", "pinecone-stats", api::describeIndexStats);
        from("platform-http:/pinecone/vectors/fetch?httpMethodRestrict=GET").routeId("pinecone-fetch")
                .process(ex -> {
                    Map<String, List<String>> q = HttpRequests.query(ex);
                    api.fetch(q.getOrDefault("ids", List.of()), HttpRequests.first(q, "namespace")).send(ex);
                });
        from("platform-http:/pinecone/vectors/list?httpMethodRestrict=GET").routeId("pinecone-list")
                .process(ex -> {
                    Map<String, List<String>> q = HttpRequests.query(ex);
                    api.list(HttpRequests.first(q, "prefix"), HttpRequests.first(q, "limit"), HttpRequests.first(q, "paginationToken"),
                            HttpRequests.first(q, "namespace")).send(ex);
                });
    }

    private void post(String path, String id, Function<byte[], JsonAnswer> handler) {
        from("platform-http:/pinecone" + path + "?httpMethodRestrict=POST&populateBodyWithForm=false").routeId(id)
                .process(ex -> handler.apply(ex.getMessage().getBody(byte[].class)).send(ex));
    }
}
