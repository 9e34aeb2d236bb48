package batchimage.search;

import batchimage.library.FilterSql;
import batchimage.library.Library;

import batchimage.embed.EmbeddingsClient;
import batchimage.index.ModelRecord;
import batchimage.index.Namespaces;
import batchimage.vectors.PineconeClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
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
    private final Namespaces namespaces;
    private final BiFunction<String, Integer, EmbeddingsClient> otherModel;
    private final SimilarRecords similar;

    public SearchService(EmbeddingsClient embeddings, PineconeClient index, Library library) {
        this(embeddings, index, library, new Namespaces(null), null);
    }

    /**
     * {@code namespaces}: the live generation, searched; {@code otherModel}: a client for the model the live
     * vectors were made with when it is not this process's (after a change of model, until a full reindex ends).
     */
    public SearchService(EmbeddingsClient embeddings, PineconeClient index, Library library, Namespaces namespaces,
                         BiFunction<String, Integer, EmbeddingsClient> otherModel) {
        this.embeddings = embeddings;
        this.index = index;
        this.library = library;
        this.namespaces = namespaces;
        this.otherModel = otherModel;
        this.similar = new SimilarRecords(index, library, namespaces);
    }

    /** A query is compared with vectors of the model that made them: the live generation's, whatever this process embeds with. */
    private EmbeddingsClient queryEmbeddings(ModelRecord.Model live) {
        if (live == null || otherModel == null || live.model().equals(embeddings.config().model())) {
            return embeddings;
        }
        return otherModel.apply(live.model(), live.dimensions());
    }

    public Library library() {
        return library;
    }

    public SearchAnswer search(SearchRequest request) {
        long start = System.nanoTime();
        List<SearchHit> hits = request.like() != null ? similar.find(request) : request.listing() ? list(request) : byMeaning(request);
        if (!request.includeMetadata()) {
            hits = hits.stream().map(SearchHit::withoutMetadata).toList();
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        return new SearchAnswer(request.query(), request.namespace(), request.topK(), request.filterJson(),
                request.listing() ? "list" : "vector", hits, tookMs, library.indexing(), request.like());
    }

    private List<SearchHit> list(SearchRequest request) {
        var out = new ArrayList<SearchHit>();
        for (Library.Row r : library.list(FilterSql.of(request.filter()), request.topK())) {
            out.add(SearchHit.of(r.id(), null, null, List.of(), Map.of(), r.metadata()));
        }
        return out;
    }

    private List<SearchHit> byMeaning(SearchRequest request) {
        // one reading of the live generation for the query's model and every namespace asked
        ModelRecord.Model live = namespaces.state();
        float[] vector = queryEmbeddings(live).embed(List.of(request.query())).get(0);
        if (!request.namespace().equals(SearchRequest.BOTH)) {
            String ns = request.namespace();
            var out = new ArrayList<SearchHit>();
            for (PineconeClient.Match m : index.query(Namespaces.read(live, ns), vector, request.topK(), request.filterJson())) {
                out.add(SearchHit.of(m.id(), m.score(), ns, List.of(ns), Map.of(ns, m.score()), m.metadata()));
            }
            return out;
        }
        int candidates = Math.max(request.topK(), FUSION_CANDIDATES);
        // the two namespaces are asked at once: with Pinecone each query is a round trip
        var prompt = CompletableFuture.supplyAsync(() -> ranked(Namespaces.read(live, SearchRequest.PROMPT), vector, candidates, request));
        List<Fusion.Ranked> description = ranked(Namespaces.read(live, SearchRequest.DESCRIPTION), vector, candidates, request);
        var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
        try {
            rankings.put(SearchRequest.PROMPT, prompt.join());
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        rankings.put(SearchRequest.DESCRIPTION, description);
        return Fusion.fuse(rankings, request.topK());
    }

    /** {@code indexName}: the namespace's name in the generation searched. */
    private List<Fusion.Ranked> ranked(String indexName, float[] vector, int candidates, SearchRequest request) {
        var ranked = new ArrayList<Fusion.Ranked>();
        for (PineconeClient.Match m : index.query(indexName, vector, candidates, request.filterJson())) {
            ranked.add(new Fusion.Ranked(m.id(), m.score(), m.metadata()));
        }
        return ranked;
    }
}
