package batchimage.index;

import java.util.List;

/**
 * The index's names of the two namespaces. The live vectors are in generation n of them (0: {@code prompt} and
 * {@code description}, the old system's; n: {@code prompt-gn} and {@code description-gn}); while a full reindex
 * builds generation n + 1, the index route writes there and search keeps reading generation n. Read from
 * index_model, at most a second old, so that every instance on the database switches with the one that switched.
 */
public final class Namespaces {

    private static final long FRESH_NANOS = 1_000_000_000L;

    private final ModelRecord models;
    private volatile Seen seen;

    private record Seen(ModelRecord.Model model, long at) {
    }

    /** {@code models}: null for the names of generation 0 always (a process without a database, tests of one part). */
    public Namespaces(ModelRecord models) {
        this.models = models;
    }

    /** The index's name of a namespace in a generation. */
    public static String name(String namespace, int generation) {
        return generation == 0 ? namespace : namespace + "-g" + generation;
    }

    /** The model record as last read (null: none yet). */
    public ModelRecord.Model state() {
        if (models == null) {
            return null;
        }
        Seen s = seen;
        if (s == null || System.nanoTime() - s.at() > FRESH_NANOS) {
            s = new Seen(models.read(), System.nanoTime());
            seen = s;
        }
        return s.model();
    }

    /** Read again at the next use: this process changed the record. */
    public void forget() {
        seen = null;
    }

    /** Where new vectors go: the generation being built, else the live one. */
    public String write(String namespace) {
        var m = state();
        return m == null ? namespace : name(namespace, m.building() != null ? m.building() : m.generation());
    }

    /** Where search looks: the live generation. */
    public String read(String namespace) {
        return read(state(), namespace);
    }

    /**
     * Where search looks by the model record {@code m} as read once ({@link #state()}): a search takes one reading
     * for the model that embeds its query and for every namespace it asks, so that a switch of generation under
     * way never pairs a query of the old model with vectors of the new.
     */
    public static String read(ModelRecord.Model m, String namespace) {
        return m == null ? namespace : name(namespace, m.generation());
    }

    /** Every generation that may hold a record's vector now (the live one, and the one being built). */
    public List<String> all(String namespace) {
        String r = read(namespace);
        String w = write(namespace);
        return r.equals(w) ? List.of(r) : List.of(r, w);
    }
}
