package batchimage.sync;

import batchimage.index.ModelRecord;
import batchimage.sync.Synchronizer.Run;
import batchimage.vectors.PineconeClient;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The namespaces of generations neither live nor being built, emptied by a sync run. */
final class StaleGenerations {

    /** Logged as the sync's: one logger for all a sync run does. */
    private static final Logger LOG = LoggerFactory.getLogger(Synchronizer.class);

    /** prompt, description, prompt-g3...: the index's names of the two namespaces in any generation. */
    private static final Pattern GENERATION = Pattern.compile("(prompt|description)(?:-g([1-9][0-9]*))?");

    private final PineconeClient index;

    StaleGenerations(PineconeClient index) {
        this.index = index;
    }

    /**
     * Empties the namespaces of generations neither live nor being built: what a full reindex could not remove
     * when it switched (the index did not answer). Names of other shapes are not this app's and are left alone.
     * Under the run's lock no full reindex starts; one that ends meanwhile only makes the old live one stale.
     */
    @SuppressWarnings("unchecked")
    Run removeStaleGenerations(Run run) throws SQLException {
        var m = ModelRecord.read(run.lock);
        int live = m == null ? 0 : m.generation();
        Integer building = m == null ? null : m.building();
        var removed = (List<String>) run.drift.get("stale_namespaces_removed");
        for (var e : index.stats().namespaces().entrySet()) {
            var name = GENERATION.matcher(e.getKey());
            if (!name.matches() || e.getValue() == 0) {
                continue;
            }
            int generation = name.group(2) == null ? 0 : Integer.parseInt(name.group(2));
            if (generation != live && (building == null || generation != building)) {
                if (!index.deleteAll(e.getKey())) {
                    // Pinecone's stats lag behind its deletes: the namespace is gone already
                    continue;
                }
                LOG.info("sync #{}: namespace {} held {} vectors of generation {}, which is neither live ({}) nor being built; emptied",
                        run.id, e.getKey(), e.getValue(), generation, live);
                removed.add(e.getKey());
            }
        }
        return run;
    }
}
