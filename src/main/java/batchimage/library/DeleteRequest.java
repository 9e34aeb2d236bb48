package batchimage.library;

import batchimage.vectors.Filter;
import batchimage.http.ApiError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * A delete by filter as {@code POST /api/delete} and {@code batch-image delete} take it, checked before
 * anything is touched: the filter is search's (same language, same fields, same 400s) and may not be empty.
 *
 * @param filterJson the filter as given
 * @param filter the same, parsed (for PostgreSQL)
 * @param dryRun count only
 * @param purge remove the rows too (after their vectors)
 */
public record DeleteRequest(JsonNode filterJson, Filter filter, boolean dryRun, boolean purge) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static DeleteRequest of(JsonNode filterJson, boolean dryRun, boolean purge) {
        Filter f = LibraryFilter.checked(filterJson);
        if (f == null) {
            throw ApiError.badRequest("filter", "give a filter naming the records to delete, such as {\"sub_theme\": \"ANIMAL\"}:"
                    + " an empty filter would match the whole library, and deleting everything at once is not offered");
        }
        return new DeleteRequest(filterJson, f, dryRun, purge);
    }

    /** From the body {@code {"filter": {...}, "dry_run": false, "purge": false}}. */
    public static DeleteRequest fromJson(byte[] body) {
        JsonNode req = ApiError.objectBody(body, "{\"filter\": {\"sub_theme\": \"ANIMAL\"}, \"dry_run\": true}");
        var it = req.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!k.equals("filter") && !k.equals("dry_run") && !k.equals("purge")) {
                throw ApiError.badRequest(k, "unknown key " + k + ": a delete takes filter, dry_run and purge");
            }
        }
        return of(req.get("filter"), flag(req, "dry_run"), flag(req, "purge"));
    }

    private static boolean flag(JsonNode req, String key) {
        JsonNode v = req.get(key);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiError.badRequest(key, key + " must be true or false, found " + v);
        }
        return v.booleanValue();
    }
}
