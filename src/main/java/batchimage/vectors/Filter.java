package batchimage.vectors;

import java.util.List;

/**
 * Pinecone's metadata filter language (PROTOCOLS.md A.6) as a closed set of expressions: what the
 * local index, search and delete-by-filter all translate from. Numbers are doubles, as in Pinecone.
 */
public sealed interface Filter {

    /** Every clause must hold (explicit $and, or the implicit AND of several top-level keys). */
    record And(List<Filter> clauses) implements Filter {
    }

    /** At least one clause holds. */
    record Or(List<Filter> clauses) implements Filter {
    }

    /** {@code field op value}: $eq/$ne take a string, number or boolean; the ranges take a number. */
    record Compare(String field, Op op, Object value) implements Filter {
    }

    /** {@code $in} / {@code $nin}: the field's value (or, for a list field, any element) is among the values. */
    record In(String field, List<Object> values, boolean negated) implements Filter {
    }

    /** {@code $exists}: the field is present (true) or absent (false). */
    record Exists(String field, boolean present) implements Filter {
    }

    enum Op {
        EQ("$eq"), NE("$ne"), GT("$gt"), GTE("$gte"), LT("$lt"), LTE("$lte");

        public final String token;

        Op(String token) {
            this.token = token;
        }

        public boolean isRange() {
            return this != EQ && this != NE;
        }
    }
}
