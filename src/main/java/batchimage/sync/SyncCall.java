package batchimage.sync;

import batchimage.index.FullReindex;

import batchimage.http.ApiError;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

/**
 * A sync asked for on demand ({@code POST /api/reindex}, {@code bin/batch-image reindex}): runs the sync route
 * in this process and answers its report, or the reason it failed.
 */
public final class SyncCall {

    private SyncCall() {
    }

    /** The mode of a request: {@code changed} (default) or {@code full}; anything else is a 400 naming the field. */
    public static String mode(String value) {
        String m = value == null || value.isBlank() ? "changed" : value.strip().toLowerCase(Locale.ROOT);
        if (!m.equals("changed") && !m.equals("full")) {
            throw ApiError.badRequest("mode", "mode is 'changed' (re-queue what failed and repair drift) or 'full' (embed every record again), found '"
                    + value + "'");
        }
        return m;
    }

    /** Runs one sync ({@code startedBy}: api, command) and answers its report: 409 when another is under way too long, 409 when a full reindex cannot write into the index. */
    public static Map<String, Object> run(CamelContext camel, String startedBy, String mode) {
        if ("full".equals(mode)) {
            camel.getRegistry().lookupByNameAndType("fullReindex", FullReindex.class).check();
        }
        ProducerTemplate producer = camel.createProducerTemplate();
        try {
            Exchange done = producer.send("direct:sync", ex -> {
                ex.getMessage().setHeader("syncStartedBy", startedBy);
                ex.getMessage().setHeader("syncMode", mode);
            });
            Throwable t = done.getException() != null ? done.getException() : done.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c instanceof ApiError a) {
                    throw a;
                }
                if (c instanceof Synchronizer.SyncBusyException b) {
                    throw new ApiError(409, b.getMessage(), null);
                }
            }
            if (t != null) {
                throw new IllegalStateException("the sync failed (see GET /api/dead-letters?stage=sync): " + (t.getMessage() == null ? t : t.getMessage()), t);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> report = done.getMessage().getBody(Map.class);
            return report == null ? new LinkedHashMap<>() : report;
        } finally {
            try {
                producer.stop();
            } catch (Exception e) {
                // nothing held
            }
        }
    }
}
