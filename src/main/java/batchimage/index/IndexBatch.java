package batchimage.index;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records claimed together by the index route, with what each namespace gets: text, metadata and
 * fingerprint per record, the vectors once embedded, and per namespace whether its upsert succeeded.
 */
public final class IndexBatch {

    public static final List<String> NAMESPACES = List.of("prompt", "description");

    /** One claimed record and what it sends to each namespace. */
    public static final class Item {
        final String id;
        final String sourceFile;
        final Map<String, String> text;
        final Map<String, Map<String, Object>> metadata;
        final Map<String, String> oldFingerprint;
        final Map<String, String> newFingerprint;
        final Map<String, float[]> vector = new ConcurrentHashMap<>();
        /** Failed attempts before this one. */
        final int attempts;

        Item(String id, String sourceFile, Map<String, String> text, Map<String, Map<String, Object>> metadata,
             Map<String, String> oldFingerprint, Map<String, String> newFingerprint, int attempts) {
            this.id = id;
            this.sourceFile = sourceFile;
            this.text = text;
            this.metadata = metadata;
            this.oldFingerprint = oldFingerprint;
            this.newFingerprint = newFingerprint;
            this.attempts = attempts;
        }

        /** Whether this namespace needs a new vector (non-empty text whose fingerprint changed). */
        boolean needsVector(String ns) {
            return !text.get(ns).isEmpty() && !newFingerprint.get(ns).equals(oldFingerprint.get(ns));
        }

        /** Whether an old vector must go (the text is now empty but something was indexed). */
        boolean needsDelete(String ns) {
            return text.get(ns).isEmpty() && oldFingerprint.get(ns) != null;
        }
    }

    final List<Item> items;
    final java.time.OffsetDateTime claimedAt;
    private final Map<String, String> failures = new ConcurrentHashMap<>();

    IndexBatch(List<Item> items, java.time.OffsetDateTime claimedAt) {
        this.items = items;
        this.claimedAt = claimedAt;
    }

    public int size() {
        return items.size();
    }

    public List<String> ids() {
        return items.stream().map(i -> i.id).toList();
    }

    /** Records that a namespace (or, with null, the whole batch) failed, and why. */
    public void fail(String namespace, String reason) {
        if (namespace == null) {
            NAMESPACES.forEach(ns -> failures.put(ns, reason));
        } else {
            failures.put(namespace, reason);
        }
    }

    public boolean failed(String namespace) {
        return failures.containsKey(namespace);
    }

    public String failure() {
        return failures.isEmpty() ? null : String.join("; ", failures.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList());
    }

    @Override
    public String toString() {
        return "index batch of " + items.size() + " records " + ids();
    }
}
