package batchimage.vectors.local;

import batchimage.vectors.Filter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;

/**
 * Pinecone filters as Lucene queries over a document's metadata, indexed per key and type by {@link #index}: the
 * local index's vectors and the lexical side's words (batchimage.lexical) are filtered alike.
 */
public final class LuceneFilters {

    /** The metadata keys a document has, for $exists. */
    static final String KEYS = "_keys";

    private LuceneFilters() {
    }

    /** Indexes the metadata for filters: strings, booleans, numbers and lists of strings, each key under its type. */
    public static void index(Document d, Map<String, Object> metadata) {
        for (var e : metadata.entrySet()) {
            String k = e.getKey();
            d.add(new StringField(KEYS, k, Field.Store.NO));
            Object v = e.getValue();
            if (v instanceof String s) {
                d.add(new StringField("s." + k, s, Field.Store.NO));
            } else if (v instanceof Boolean b) {
                d.add(new StringField("b." + k, b.toString(), Field.Store.NO));
            } else if (v instanceof Number n) {
                d.add(new DoublePoint("n." + k, n.doubleValue()));
            } else if (v instanceof Collection<?> list) {
                for (Object item : list) {
                    d.add(new StringField("s." + k, item.toString(), Field.Store.NO));
                }
            }
        }
    }

    public static Query toQuery(Filter f) {
        if (f instanceof Filter.And a) {
            var b = new BooleanQuery.Builder();
            for (Filter c : a.clauses()) {
                b.add(toQuery(c), Occur.FILTER);
            }
            return b.build();
        }
        if (f instanceof Filter.Or o) {
            var b = new BooleanQuery.Builder().setMinimumNumberShouldMatch(1);
            for (Filter c : o.clauses()) {
                b.add(toQuery(c), Occur.SHOULD);
            }
            return b.build();
        }
        if (f instanceof Filter.Exists e) {
            Query has = new TermQuery(new Term(KEYS, e.field()));
            return e.present() ? has : not(has);
        }
        if (f instanceof Filter.In in) {
            var strings = new ArrayList<BytesRef>();
            var numbers = new ArrayList<Double>();
            for (Object v : in.values()) {
                if (v instanceof String s) {
                    strings.add(new BytesRef(s));
                } else {
                    numbers.add((Double) v);
                }
            }
            var b = new BooleanQuery.Builder().setMinimumNumberShouldMatch(1);
            if (!strings.isEmpty()) {
                b.add(new TermInSetQuery("s." + in.field(), strings), Occur.SHOULD);
            }
            if (!numbers.isEmpty()) {
                b.add(DoublePoint.newSetQuery("n." + in.field(), numbers), Occur.SHOULD);
            }
            Query any = strings.isEmpty() && numbers.isEmpty() ? new BooleanQuery.Builder().build() : b.build();
            return in.negated() ? not(any) : any;
        }
        var c = (Filter.Compare) f;
        String field = c.field();
        return switch (c.op()) {
            case EQ -> equal(field, c.value());
            case NE -> not(equal(field, c.value()));
            case GT -> DoublePoint.newRangeQuery("n." + field, Math.nextUp((Double) c.value()), Double.POSITIVE_INFINITY);
            case GTE -> DoublePoint.newRangeQuery("n." + field, (Double) c.value(), Double.POSITIVE_INFINITY);
            case LT -> DoublePoint.newRangeQuery("n." + field, Double.NEGATIVE_INFINITY, Math.nextDown((Double) c.value()));
            case LTE -> DoublePoint.newRangeQuery("n." + field, Double.NEGATIVE_INFINITY, (Double) c.value());
        };
    }

    private static Query equal(String field, Object v) {
        if (v instanceof String s) {
            return new TermQuery(new Term("s." + field, s));
        }
        if (v instanceof Boolean b) {
            return new TermQuery(new Term("b." + field, b.toString()));
        }
        return DoublePoint.newExactQuery("n." + field, (Double) v);
    }

    private static Query not(Query q) {
        return new BooleanQuery.Builder().add(new MatchAllDocsQuery(), Occur.MUST).add(q, Occur.MUST_NOT).build();
    }
}
