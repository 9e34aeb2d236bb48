package batchimage.ingest;

import java.io.Closeable;
import java.io.IOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Function;

/**
 * Runs an iterator (and a preparation of each item) ahead on its own thread, so that parsing and
 * encoding the next batch overlap with storing the current one. At most {@code depth} items wait, so memory stays bounded. A failure of the
 * source is thrown to the consumer, at the point in the sequence where it happened.
 */
public final class ReadAhead<T> implements Iterator<T>, Closeable {

    private record Item<T>(T value, RuntimeException failure, boolean end) {
    }

    private final BlockingQueue<Item<T>> queue;
    private final Closeable source;
    private final Thread thread;
    private Item<T> head;
    private boolean done;

    public <S> ReadAhead(Iterator<S> source, Function<S, T> prepare, Closeable closeSource, int depth, String name) {
        this.queue = new ArrayBlockingQueue<>(depth);
        this.source = closeSource;
        this.thread = new Thread(() -> produce(source, prepare), name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private <S> void produce(Iterator<S> source, Function<S, T> prepare) {
        try {
            while (source.hasNext()) {
                queue.put(new Item<>(prepare.apply(source.next()), null, false));
            }
            queue.put(new Item<>(null, null, true));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            try {
                queue.put(new Item<>(null, e, true));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean hasNext() {
        if (done) {
            return false;
        }
        if (head == null) {
            try {
                head = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading ahead", e);
            }
        }
        if (head.failure() != null) {
            done = true;
            throw head.failure();
        }
        if (head.end()) {
            done = true;
            return false;
        }
        return true;
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        T v = head.value();
        head = null;
        return v;
    }

    @Override
    public void close() throws IOException {
        done = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        source.close();
    }
}
