package batchimage.api;

import batchimage.http.ApiError;
import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import batchimage.search.SearchHit;
import batchimage.search.SearchRequest;
import batchimage.search.SearchService;
import java.util.UUID;
import org.apache.camel.Exchange;

/**
 * The search API (docs/API.md "Search", "Records", "Facets"): {@code GET} and {@code POST /api/search},
 * {@code GET /api/records/{id}} and {@code GET /api/facets}, called by the routes of routes/api.camel.yaml.
 */
public final class SearchApi {

    static final int DEFAULT_TAGS = 50;
    static final int MAX_TAGS = 1000;

    private final SearchService search;

    public SearchApi(SearchService search) {
        this.search = search;
    }

    /** {@code GET /api/search}: the request in the query string. */
    public void search(Exchange ex) {
        Answers.send(ex, () -> JsonAnswer.of(200, search.search(SearchRequest.fromQuery(HttpRequests.query(ex)))));
    }

    /** {@code POST /api/search}: the request as a JSON body. */
    public void searchPost(Exchange ex) {
        Answers.send(ex, () -> JsonAnswer.of(200, search.search(SearchRequest.fromJson(HttpRequests.jsonBody(ex)))));
    }

    /** {@code GET /api/records/{id}}: one record whole, with the URLs of its image and thumbnail; 404 when there is none. */
    public void record(Exchange ex) {
        Answers.send(ex, () -> {
            String id = ex.getMessage().getHeader("id", String.class);
            var record = search.library().record(uuid(id));
            if (record == null) {
                throw new ApiError(404, "no record " + id, "id");
            }
            record.put("image_url", SearchHit.imageUrl(id));
            record.put("thumbnail_url", SearchHit.imageUrl(id) + "/thumbnail");
            return JsonAnswer.of(200, record);
        });
    }

    /** {@code GET /api/facets?tags=N}: active records by theme, sub-theme and the N most used tags. */
    public void facets(Exchange ex) {
        Answers.send(ex, () -> JsonAnswer.of(200, search.library().facets(tags(HttpRequests.first(HttpRequests.query(ex), "tags")))));
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
        return HttpRequests.wholeNumber("tags", value, DEFAULT_TAGS, 0, MAX_TAGS, "");
    }
}
