package batchimage.embed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The threads the local models compute on: one per core for the whole process, whatever the number of
 * models, requests in flight or callers, so that two requests on two cores use two cores, not four
 * (each model session has a single intra-op thread: {@link BertOnnxModel}). A call's items go to the
 * lanes in the order calls came, each lane taking the call's next item until none is left, so that one
 * call alone uses every core and the first call in finishes first. A single item runs on the caller's
 * thread: a search query waits for no hand-off.
 */
final class InferenceLanes {

    private static final InferenceLanes SHARED = new InferenceLanes(Runtime.getRuntime().availableProcessors());

    private final int lanes;
    private final ExecutorService pool;

    InferenceLanes(int lanes) {
        this.lanes = Math.max(1, lanes);
        var count = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(this.lanes, r -> {
            Thread t = new Thread(r, "local-embeddings-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    static InferenceLanes shared() {
        return SHARED;
    }

    int lanes() {
        return lanes;
    }

    /** {@code work} applied to every item, results in the items' order; the first failure is thrown once all have stopped. */
    <T, R> List<R> map(List<T> items, Function<T, R> work) {
        int n = items.size();
        if (n == 0) {
            return List.of();
        }
        if (n == 1) {
            return List.of(work.apply(items.get(0)));
        }
        Object[] out = new Object[n];
        var next = new AtomicInteger();
        var failure = new AtomicReference<Throwable>();
        var runners = new ArrayList<CompletableFuture<Void>>();
        for (int r = 0; r < Math.min(lanes, n); r++) {
            runners.add(CompletableFuture.runAsync(() -> {
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < n) {
                    try {
                        out[i] = work.apply(items.get(i));
                    } catch (RuntimeException | Error e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, pool));
        }
        try {
            CompletableFuture.allOf(runners.toArray(CompletableFuture[]::new)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, e);
            next.set(n);
        } catch (ExecutionException e) {
            failure.compareAndSet(null, e.getCause());
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error err) {
            throw err;
        }
        if (f != null) {
            throw new IllegalStateException("local embeddings interrupted", f);
        }
        @SuppressWarnings("unchecked")
        List<R> result = (List<R>) Arrays.asList(out);
        return result;
    }
}
