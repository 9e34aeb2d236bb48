package batchimage.search;

import batchimage.library.FilterSql;
import batchimage.library.Library;

import batchimage.embed.EmbeddingsClient;
import batchimage.index.ModelRecord;
import batchimage.index.Namespaces;
import batchimage.lexical.LexicalIndex;
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

    /**
     * The lists of one search are asked at once on these threads, not on the common pool: on a machine of two
     * cores that has one thread, and the lexical list, a namespace and the next search would wait on each other.
     */
    static final java.util.concurrent.ExecutorService LISTS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "search-list");
        t.setDaemon(true);
        return t;
    });

    private final EmbeddingsClient embeddings;
    private final PineconeClient index;
    private final Library library;
    private final Namespaces namespaces;
    private final BiFunction<String, Integer, EmbeddingsClient> otherModel;
    private final SimilarRecords similar;
    private final HybridSettings hybrid;
    /** The lexical side, or null (then hybrid is the dense lists alone, and lexical finds nothing). */
    private final LexicalIndex words;

    public SearchService(EmbeddingsClient embeddings, PineconeClient index, Library library) {
        this(embeddings, index, library, new Namespaces(null), null);
    }

    /**
     * {@code namespaces}: the live generation, searched; {@code otherModel}: a client for the model the live
     * vectors were made with when it is not this process's (after a change of model, until a full reindex ends).
     */
    public SearchService(EmbeddingsClient embeddings, PineconeClient index, Library library, Namespaces namespaces,
                         BiFunction<String, Integer, EmbeddingsClient> otherModel) {
        this(embeddings, index, library, namespaces, otherModel, null, HybridSettings.DEFAULTS);
    }

    /** As above, with the lexical side: {@code words} ranks the records' words, and hybrid searches fuse as {@code hybrid} says. */
    public SearchService(EmbeddingsClient embeddings, PineconeClient index, Library library, Namespaces namespaces,
                         BiFunction<String, Integer, EmbeddingsClient> otherModel, LexicalIndex words, HybridSettings hybrid) {
        this.hybrid = hybrid;
        this.words = words;
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
        List<SearchHit> hits = request.like() != null ? similar.find(request) : request.listing() ? list(request)
                : request.mode().equals(SearchRequest.LEXICAL) ? lexicalOnly(request) : byMeaning(request);
        if (!request.includeMetadata()) {
            hits = hits.stream().map(SearchHit::withoutMetadata).toList();
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        return new SearchAnswer(request.query(), request.namespace(), request.topK(), request.filterJson(),
                answerMode(request), hits, tookMs, library.indexing(), request.like());
    }

    /** The answer's mode: list, vector (dense), hybrid or lexical. */
    private static String answerMode(SearchRequest request) {
        if (request.listing()) {
            return "list";
        }
        return request.mode().equals(SearchRequest.DENSE) ? "vector" : request.mode();
    }

    private List<SearchHit> list(SearchRequest request) {
        var out = new ArrayList<SearchHit>();
        for (Library.Row r : library.list(FilterSql.of(request.filter()), request.topK())) {
            out.add(SearchHit.of(r.id(), null, null, List.of(), Map.of(), Map.of(), r.metadata()));
        }
        return out;
    }

    private List<SearchHit> byMeaning(SearchRequest request) {
        // one reading of the live generation for the query's model and every namespace asked
        ModelRecord.Model live = namespaces.state();
        boolean withWords = request.mode().equals(SearchRequest.HYBRID);
        // the words are ranked by the lexical index while the query is embedded
        CompletableFuture<List<Fusion.Ranked>> words = withWords
                ? CompletableFuture.supplyAsync(() -> lexical(request, Math.max(request.topK(), hybrid.candidates())), LISTS) : null;
        float[] vector = queryEmbeddings(live).embed(List.of(request.query())).get(0);
        if (!withWords && !request.namespace().equals(SearchRequest.BOTH)) {
            String ns = request.namespace();
            var out = new ArrayList<SearchHit>();
            int rank = 0;
            for (PineconeClient.Match m : index.query(Namespaces.read(live, ns), vector, request.topK(), request.filterJson())) {
                out.add(SearchHit.of(m.id(), m.score(), ns, List.of(ns), Map.of(ns, m.score()), Map.of(ns, ++rank), m.metadata()));
            }
            return out;
        }
        if (withWords) {
            var rankings = new LinkedHashMap<String, List<Fusion.Ranked>>();
            int candidates = Math.max(request.topK(), hybrid.candidates());
            List<String> dense = request.namespace().equals(SearchRequest.BOTH)
                    ? List.of(SearchRequest.PROMPT, SearchRequest.DESCRIPTION) : List.of(request.namespace());
            var asked = new LinkedHashMap<String, CompletableFuture<List<Fusion.Ranked>>>();
            for (String ns : dense.subList(1, dense.size())) {
                asked.put(ns, CompletableFuture.supplyAsync(() -> ranked(Namespaces.read(live, ns), vector, candidates, request), LISTS));
            }
            List<Fusion.Ranked> first = ranked(Namespaces.read(live, dense.get(0)), vector, candidates, request);
            try {
                rankings.put(SearchRequest.LEXICAL, words.join());
                rankings.put(dense.get(0), first);
                asked.forEach((ns, f) -> rankings.put(ns, f.join()));
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
            return Fusion.fuse(rankings, hybrid.weights(), hybrid.k(), request.topK());
        }
        int candidates = Math.max(request.topK(), FUSION_CANDIDATES);
        // the two namespaces are asked at once: with Pinecone each query is a round trip
        var prompt = CompletableFuture.supplyAsync(() -> ranked(Namespaces.read(live, SearchRequest.PROMPT), vector, candidates, request), LISTS);
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

    /** The lexical list alone: its hits with their BM25 scores. */
    private List<SearchHit> lexicalOnly(SearchRequest request) {
        var out = new ArrayList<SearchHit>();
        int rank = 0;
        for (Fusion.Ranked r : lexical(request, request.topK())) {
            String l = SearchRequest.LEXICAL;
            out.add(SearchHit.of(r.id(), r.score(), l, List.of(l), Map.of(l, r.score()), Map.of(l, ++rank), r.metadata()));
        }
        return out;
    }

    /** The records whose words match the query and the filter, best first; none when the query has no word or there is no lexical index. */
    private List<Fusion.Ranked> lexical(SearchRequest request, int limit) {
        if (words == null) {
            return List.of();
        }
        var ranked = new ArrayList<Fusion.Ranked>();
        for (LexicalIndex.Hit h : words.search(request.query(), request.filter(), limit)) {
            ranked.add(new Fusion.Ranked(h.id(), h.score(), h.metadata()));
        }
        return ranked;
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
