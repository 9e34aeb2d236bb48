package batchimage.library;

import java.util.Map;

/**
 * The pace of indexing for the stats: records indexed over the last {@code window} seconds, measured from the first
 * of them (so that indexing which began a moment ago is not averaged over the whole window), and the time the
 * records pending would take at that pace.
 */
final class IndexingRate {

    private IndexingRate() {
    }

    /**
     * Replaces the row's {@code recent} and {@code span} (seconds since the first recent one) by
     * {@code indexed_last_minute}, {@code records_per_second} and {@code seconds_left} (null when nothing was indexed lately).
     */
    static void put(Map<String, Object> indexing, int window) {
        long recent = ((Number) indexing.remove("recent")).longValue();
        Object spanValue = indexing.remove("span");
        double span = spanValue == null ? 0 : ((Number) spanValue).doubleValue();
        long pending = ((Number) indexing.get("pending")).longValue();
        Double rate = recent == 0 ? null : recent / Math.min(window, Math.max(1.0, span));
        indexing.put("indexed_last_minute", recent);
        indexing.put("records_per_second", rate == null ? null : Math.round(rate * 10) / 10.0);
        indexing.put("seconds_left", rate == null || pending == 0 ? null : (double) Math.round(pending / rate));
    }
}
