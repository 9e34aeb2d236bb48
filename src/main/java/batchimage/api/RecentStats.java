package batchimage.api;

import java.util.Map;
import java.util.function.Supplier;

/**
 * The library's figures as {@code GET /api/stats?max_age=S} shares them: however many pages watch the status view,
 * the figures (several scans of the library and a question to the index) are read at most once every S seconds;
 * a request without max_age always reads them afresh (and those read so are shared too). Of the requests that accept
 * shared figures, one reads at a time: one that comes while figures are being read waits for them.
 */
final class RecentStats {

    private final Supplier<Map<String, Object>> read;
    private volatile Shared shared;

    RecentStats(Supplier<Map<String, Object>> read) {
        this.read = read;
    }

    Map<String, Object> get(int maxAgeSeconds) {
        if (maxAgeSeconds <= 0) {
            return fresh();
        }
        synchronized (this) {
            Shared s = shared;
            if (s != null && System.nanoTime() - s.at() <= maxAgeSeconds * 1_000_000_000L) {
                return s.figures();
            }
            return fresh();
        }
    }

    private Map<String, Object> fresh() {
        long started = System.nanoTime();
        Map<String, Object> figures = read.get();
        Shared s = shared;
        if (s == null || s.at() - started < 0) {
            shared = new Shared(figures, started);
        }
        return figures;
    }

    private record Shared(Map<String, Object> figures, long at) {
    }
}
