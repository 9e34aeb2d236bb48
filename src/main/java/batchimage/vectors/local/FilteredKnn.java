package batchimage.vectors.local;

import java.io.IOException;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.QueryTimeout;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.knn.KnnCollectorManager;
import org.apache.lucene.util.Bits;

/**
 * Filtered kNN that compares every matching vector of a segment outright when few enough match:
 * cheaper there than walking the graph past the non-matching ones, and exact ({@link ExactScan}).
 */
final class FilteredKnn extends KnnFloatVectorQuery {
    /**
     * At most this many matching documents in a segment are compared outright (about 1.5 ms with SIMD
     * on this project's 2-core reference machine, 4 ms without); a broader filter searches the graph.
     */
    static int exactMax(ExactScan scan) {
        return scan.simd() ? 60_000 : 20_000;
    }

    private final ExactScan scan;
    private final int exactMax;
    private final float[] target;

    FilteredKnn(ExactScan scan, int exactMax, float[] target, int k, Query filter) {
        super(VectorDocuments.VECTOR, target, k, filter);
        this.scan = scan;
        this.exactMax = exactMax;
        this.target = target;
    }

    @Override
    protected TopDocs approximateSearch(LeafReaderContext context, Bits acceptDocs, int visitedLimit, KnnCollectorManager collectors)
            throws IOException {
        // Lucene passes the number of matching documents in the segment, plus one
        if (visitedLimit - 1 <= exactMax) {
            // an incomplete answer: Lucene then calls exactSearch with the matching documents
            return new TopDocs(new TotalHits(0, TotalHits.Relation.GREATER_THAN_OR_EQUAL_TO), new ScoreDoc[0]);
        }
        return super.approximateSearch(context, acceptDocs, visitedLimit, collectors);
    }

    @Override
    protected TopDocs exactSearch(LeafReaderContext context, DocIdSetIterator accept, QueryTimeout timeout) throws IOException {
        TopDocs top = scan.search(context.reader(), accept, target, k);
        return top != null ? top : super.exactSearch(context, accept, timeout);
    }
}
