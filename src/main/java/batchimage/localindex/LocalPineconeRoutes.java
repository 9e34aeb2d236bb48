package batchimage.localindex;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.camel.Exchange;
import batchimage.web.JsonAnswer;
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
                    Map<String, List<String>> q = query(ex);
                    api.fetch(q.getOrDefault("ids", List.of()), first(q, "namespace")).send(ex);
                });
        from("platform-http:/pinecone/vectors/list?httpMethodRestrict=GET").routeId("pinecone-list")
                .process(ex -> {
                    Map<String, List<String>> q = query(ex);
                    api.list(first(q, "prefix"), first(q, "limit"), first(q, "paginationToken"), first(q, "namespace")).send(ex);
                });
    }

    private void post(String path, String id, Function<byte[], JsonAnswer> handler) {
        from("platform-http:/pinecone" + path + "?httpMethodRestrict=POST&populateBodyWithForm=false").routeId(id)
                .process(ex -> handler.apply(ex.getMessage().getBody(byte[].class)).send(ex));
    }

    /** The query string with repeated keys kept ({@code ids=a&ids=b}). */
    static Map<String, List<String>> query(Exchange ex) {
        String raw = ex.getMessage().getHeader(Exchange.HTTP_RAW_QUERY, String.class);
        var out = new LinkedHashMap<String, List<String>>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private static String first(Map<String, List<String>> q, String key) {
        List<String> v = q.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

}
