package batchimage.search;

import batchimage.embed.EmbeddingsClient;
import batchimage.pinecone.PineconeClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Searches the library (docs/API.md "Search"): a query is embedded once and sent to one namespace, or to
 * both and fused by reciprocal rank; a filter without a query lists the matching records from
 * PostgreSQL. The API, the page and the command line all search through here.
 */
public final class SearchService {

    /** Candidates asked of each namespace before fusing: a record ranked low in one may be high in the other. */
    public static final int FUSION_CANDIDATES = 50;

    private final EmbeddingsClient embeddings;
    private final PineconeClient index;
    private final Library library;

    public SearchService(EmbeddingsClient embeddings, PineconeClient index, Library library) {
        this.embeddings = embeddings;
        this.index = index;
        this.library = library;
    }

    public Library library() {
        return library;
    }

    public SearchAnswer search(SearchRequest request) {
        long start = System.nanoTime();
        List<SearchHit> hits = request.listing() ? list(request) : byMeaning(request);
        if (!request.includeMetadata()) {
            hits = hits.stream().map(SearchHit::withoutMetadata).toList();
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        return new SearchAnswer(request.query(), request.namespace(), request.topK(), request.filterJson(),
                request.listing() ? "list" : "vector", hits, tookMs, library.indexing());
    }

    private List<SearchHit> list(SearchRequest request) {
        var out = new ArrayList<SearchHit>();
        for (Library.Row r : library.list(FilterSql.of(request.filter()), request.topK())) {
            out.add(SearchHit.of(r.id(), null, null, List.of(), Map.of(), r.metadata()));
        }
        return out;
    }

    private List<SearchHit> byMeaning(SearchRequest request) {
        float[] vector = embeddings.embed(List.of(request.query())).get(0);
        if (!request.namespace().equals(SearchRequest.BOTH)) {
            String ns = request.namespace();
            var out = new ArrayList<SearchHit>();
            for (PineconeClient.Match m : index.query(ns, vector, request.topK(), request.filterJson())) {
                out.add(SearchHit.of(m.id(), m.score(), ns, List.of(ns), Map.of(ns, m.score()), m.metadata()));
            }
            return out;
        }
        int candidates = Math.max(request.topK(), FUSION_CANDIDATES);
        // the two namespaces are asked at once: with Pinecone each query is a round trip
        var prompt = CompletableFuture.supplyAsync(() -> ranked(SearchRequest.PROMPT, vector, candidates, request));
        List<Fusion.Ranked> description = ranked(SearchRequest.DESCRIPTION, vector, candidates, request);
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        try {
            rankings.put(SearchRequest.PROMPT, prompt.join());
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        rankings.put(SearchRequest.DESCRIPTION, description);
        return Fusion.fuse(rankings, request.topK());
    }

    private List<Fusion.Ranked> ranked(String namespace, float[] vector, int candidates, SearchRequest request) {
        var ranked = new ArrayList<Fusion.Ranked>();
        for (PineconeClient.Match m : index.query(namespace, vector, candidates, request.filterJson())) {
            ranked.add(new Fusion.Ranked(m.id(), m.score(), m.metadata()));
        }
        return ranked;
    }
}
