package batchimage.api;

import batchimage.http.ApiError;
import batchimage.search.SearchHit;
import batchimage.search.SearchRequest;
import batchimage.search.SearchService;

import batchimage.http.HttpFailure;
import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search API over HTTP (docs/API.md): {@code /api/search} (GET and POST), {@code /api/records/{id}},
 * {@code /api/facets}, and the OpenAPI document at {@code /api-doc}. The API key is checked in front of every
 * route (web/HttpGuard), never here.
 */
public final class SearchRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(SearchRoutes.class);
    public static final String OPENAPI = "/api/openapi.json";
    static final int DEFAULT_TAGS = 50;
    static final int MAX_TAGS = 1000;

    private volatile SearchService search;

    /** The registry's {@code searchService} (built by Beans, after the routes are defined). */
    private SearchService search() {
        SearchService s = search;
        if (s == null) {
            s = getContext().getRegistry().lookupByNameAndType("searchService", SearchService.class);
            if (s == null) {
                throw new IllegalStateException("no searchService bean in the registry");
            }
            search = s;
        }
        return s;
    }

    @Override
    public void configure() {
        from("platform-http:/api/search?httpMethodRestrict=GET,POST&populateBodyWithForm=false").routeId("api-search")
                .process(ex -> answer(ex, () -> {
                    boolean post = "POST".equals(ex.getMessage().getHeader(Exchange.HTTP_METHOD, String.class));
                    SearchRequest req = post ? SearchRequest.fromJson(HttpRequests.jsonBody(ex)) : SearchRequest.fromQuery(HttpRequests.query(ex));
                    return JsonAnswer.of(200, search().search(req));
                }));

        from("platform-http:/api/records/{id}?httpMethodRestrict=GET").routeId("api-record")
                .process(ex -> answer(ex, () -> {
                    String id = ex.getMessage().getHeader("id", String.class);
                    var record = search().library().record(uuid(id));
                    if (record == null) {
                        throw new ApiError(404, "no record " + id, "id");
                    }
                    record.put("image_url", SearchHit.imageUrl(id));
                    record.put("thumbnail_url", SearchHit.imageUrl(id) + "/thumbnail");
                    return JsonAnswer.of(200, record);
                }));

        from("platform-http:/api/facets?httpMethodRestrict=GET").routeId("api-facets")
                .process(ex -> answer(ex, () -> JsonAnswer.of(200, search().library().facets(tags(HttpRequests.first(HttpRequests.query(ex), "tags"))))));

        from("platform-http:/api-doc?httpMethodRestrict=GET").routeId("api-doc")
                .process(ex -> openApi().send(ex));
    }

    @FunctionalInterface
    public interface Handler {
        JsonAnswer handle();
    }

    /** Runs a handler and sends its answer, or the error it meets in the API's shape. */
    public static void answer(Exchange ex, Handler h) {
        JsonAnswer a;
        try {
            a = h.handle();
        } catch (ApiError e) {
            a = e.answer();
        } catch (HttpFailure e) {
            // the embeddings service or the index: 503 when waiting may help, else 502
            LOG.warn("{} {}: {}", ex.getMessage().getHeader(Exchange.HTTP_METHOD), ex.getMessage().getHeader(Exchange.HTTP_PATH), e.getMessage());
            a = JsonAnswer.error(e.retryable() ? 503 : 502, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", ex.getMessage().getHeader(Exchange.HTTP_METHOD), ex.getMessage().getHeader(Exchange.HTTP_PATH), e);
            a = JsonAnswer.error(500, e.getMessage());
        }
        a.send(ex);
    }

    static UUID uuid(String id) {
        try {
            if (id == null || id.length() != 36) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("id", "a record id is a UUID (8-4-4-4-12 hex digits), found '" + id + "'");
        }
    }

    static int tags(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_TAGS;
        }
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 0 && n <= MAX_TAGS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badRequest("tags", "tags must be a whole number from 0 to " + MAX_TAGS + ", found '" + value + "'");
    }

    private static JsonAnswer openApi() {
        try (InputStream in = SearchRoutes.class.getResourceAsStream(OPENAPI)) {
            if (in == null) {
                return JsonAnswer.error(500, "the OpenAPI document " + OPENAPI + " is missing from the build");
            }
            return new JsonAnswer(200, in.readAllBytes());
        } catch (IOException e) {
            return JsonAnswer.error(500, "cannot read the OpenAPI document: " + e.getMessage());
        }
    }
}
