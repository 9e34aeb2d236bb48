package batchimage.search;

import batchimage.http.ApiError;
import batchimage.index.ModelRecord;
import batchimage.index.Namespaces;
import batchimage.library.Library;
import batchimage.vectors.PineconeClient;
import batchimage.vectors.VectorRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * "Similar": the records whose vectors are nearest to a record's own (docs/API.md "Similar images"). The record's
 * stored vectors are fetched from the index (nothing is embedded again), each namespace is asked with the record's
 * vector there, filter applied, and the rankings are fused by reciprocal rank as {@code both} does. The record
 * itself is never among the hits. 404 for an unknown record, 409 for one that has no vector to compare by yet.
 */
final class SimilarRecords {

    private final PineconeClient index;
    private final Library library;
    private final Namespaces namespaces;

    SimilarRecords(PineconeClient index, Library library, Namespaces namespaces) {
        this.index = index;
        this.library = library;
        this.namespaces = namespaces;
    }

    List<SearchHit> find(SearchRequest request) {
        String id = request.like();
        Library.State state = library.state(UUID.fromString(id));
        if (state == null) {
            throw new ApiError(404, "no record " + id + " (like)", "like");
        }
        if (!"active".equals(state.status())) {
            throw new ApiError(409, "record " + id + " is deleted: it has no vectors to compare by (like)", "like");
        }
        List<String> asked = request.namespace().equals(SearchRequest.BOTH)
                ? List.of(SearchRequest.PROMPT, SearchRequest.DESCRIPTION) : List.of(request.namespace());
        // the record's own vectors, of the live generation that search reads, the same generation for every step
        ModelRecord.Model live = namespaces.state();
        var own = new LinkedHashMap<String, float[]>();
        for (String ns : asked) {
            VectorRecord v = index.fetch(Namespaces.read(live, ns), List.of(id)).get(id);
            if (v != null && v.values() != null && v.values().length > 0) {
                own.put(ns, v.values());
            }
        }
        if (own.isEmpty()) {
            throw new ApiError(409, "record " + id + " has no vector in " + String.join(" or ", asked) + " to compare by yet: "
                    + state.describe() + ". Similar images are found once it is indexed", "like");
        }
        // one more candidate than needed: the record itself is the nearest to its own vector
        int candidates = Math.max(request.topK(), own.size() > 1 ? SearchService.FUSION_CANDIDATES : request.topK()) + 1;
        var futures = new LinkedHashMap<String, CompletableFuture<List<Fusion.Ranked>>>();
        own.forEach((ns, vector) -> futures.put(ns, CompletableFuture.supplyAsync(() -> ranked(Namespaces.read(live, ns), vector, candidates, request), SearchService.LISTS)));
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        try {
            futures.forEach((ns, f) -> rankings.put(ns, f.join()));
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (rankings.size() == 1) {
            var e = rankings.entrySet().iterator().next();
            String ns = e.getKey();
            var out = new ArrayList<SearchHit>();
            int rank = 0;
            for (Fusion.Ranked r : e.getValue().subList(0, Math.min(request.topK(), e.getValue().size()))) {
                out.add(SearchHit.of(r.id(), r.score(), ns, List.of(ns), Map.of(ns, r.score()), Map.of(ns, ++rank), r.metadata()));
            }
            return out;
        }
        return Fusion.fuse(rankings, request.topK());
    }

    /** {@code indexName}: the namespace's name in the generation searched. */
    private List<Fusion.Ranked> ranked(String indexName, float[] vector, int candidates, SearchRequest request) {
        var ranked = new ArrayList<Fusion.Ranked>();
        for (PineconeClient.Match m : index.query(indexName, vector, candidates, request.filterJson())) {
            if (!m.id().equals(request.like())) {
                ranked.add(new Fusion.Ranked(m.id(), m.score(), m.metadata()));
            }
        }
        return ranked;
    }
}
