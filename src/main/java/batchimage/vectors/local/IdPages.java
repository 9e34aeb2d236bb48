package batchimage.vectors.local;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.MultiBits;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.StringHelper;

/**
 * Pages of a namespace's ids in byte order. Walks the id terms from where the page starts (a seek, not a
 * search of every document), so a page costs the same wherever it is: listing a namespace of n ids costs n,
 * not n * n / page.
 */
final class IdPages {

    private IdPages() {
    }

    /** At most {@code limit} ids starting with {@code prefix} (any when empty), after {@code after} (exclusive) when given. */
    static List<String> page(IndexReader reader, String prefix, String after, int limit) throws IOException {
        var out = new ArrayList<String>(Math.min(limit, 1024));
        Terms terms = MultiTerms.getTerms(reader, VectorDocuments.ID);
        if (terms == null || limit <= 0) {
            return out;
        }
        Bits live = MultiBits.getLiveDocs(reader);
        BytesRef head = prefix == null || prefix.isEmpty() ? null : new BytesRef(prefix);
        BytesRef from = after == null ? null : new BytesRef(after);
        TermsEnum te = terms.iterator();
        BytesRef t;
        if (from != null && (head == null || from.compareTo(head) >= 0)) {
            t = te.seekCeil(from) == TermsEnum.SeekStatus.END ? null : te.term();
            if (t != null && t.bytesEquals(from)) {
                t = te.next();
            }
        } else if (head != null) {
            t = te.seekCeil(head) == TermsEnum.SeekStatus.END ? null : te.term();
        } else {
            t = te.next();
        }
        PostingsEnum docs = null;
        for (; t != null && out.size() < limit; t = te.next()) {
            if (head != null && !StringHelper.startsWith(t, head)) {
                break;
            }
            // an id whose documents are all deleted (replaced or removed, not merged away yet) is not listed
            docs = te.postings(docs, PostingsEnum.NONE);
            for (int d = docs.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = docs.nextDoc()) {
                if (live == null || live.get(d)) {
                    out.add(t.utf8ToString());
                    break;
                }
            }
        }
        return out;
    }
}
