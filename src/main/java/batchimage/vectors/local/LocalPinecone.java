package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local index: one {@link LuceneNamespace} per namespace under {@code <data>/index/<namespace>},
 * opened on first use and kept open; a namespace is created by its first upsert, as in Pinecone. A
 * background thread commits each namespace when its writes pause (see {@link LuceneNamespace}).
 */
public final class LocalPinecone implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalPinecone.class);

    /** Folder name of the default namespace (Pinecone's "" or "__default__"). */
    static final String DEFAULT_FOLDER = "__default__";

    private final Path root;
    private final int configured;
    private final boolean readOnly;
    /** The writer's hold on the folder (null read-side): one process writes it, whichever. */
    private final java.nio.channels.FileChannel owner;
    /** -1 until the folder has been read. */
    private volatile int dimension = -1;
    private final Map<String, LuceneNamespace> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService committer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "local-index-commit");
        t.setDaemon(true);
        return t;
    });

    /** {@code dimension}: the embeddings' vector size, or 0 when it is not known yet (the first upsert sets it). */
    public LocalPinecone(Path root, int dimension) {
        this(root, dimension, false);
    }

    private LocalPinecone(Path root, int dimension, boolean readOnly) {
        this.root = root;
        this.configured = dimension;
        this.readOnly = readOnly;
        this.owner = readOnly ? null : own(root);
        if (!readOnly) {
            committer.scheduleWithFixedDelay(this::commitDue, 1, 1, TimeUnit.SECONDS);
        }
    }

    /** Whether another process writes the index in {@code root} now (a service on the same data folder). */
    public static boolean writtenByAnother(Path root) {
        Path file = root.resolve("writer.lock");
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.channels.FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * Takes the folder for this writer, or says who has it: a second service on the same data folder would
     * otherwise fail only at its first write. The operating system drops the lock with its process, however it ends.
     */
    private static java.nio.channels.FileChannel own(Path root) {
        try {
            Files.createDirectories(root);
            var channel = java.nio.channels.FileChannel.open(root.resolve("writer.lock"),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            java.nio.channels.FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("the local index in " + root + " is being written by another batch-image process"
                        + " (a service on this data folder): point this one at it with pinecone.host (PINECONE_HOST, its"
                        + " http://host:port/pinecone) and embeddings.url (EMBEDDINGS_URL, its http://host:port/v1/embeddings), or stop it first");
            }
            return channel;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot open the local index in " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * The index read-side, for a one-shot process beside (or without) the service that writes it: it sees
     * every acknowledged write, committed or only in the write-ahead log (after a crash too; see
     * {@link LuceneNamespace#openReadOnly}), writes nothing in the folder and refuses writes.
     */
    public static LocalPinecone readOnly(Path root, int dimension) {
        return new LocalPinecone(root, dimension, true);
    }

    private void commitDue() {
        for (LuceneNamespace ns : open.values()) {
            try {
                ns.commitIfDue();
            } catch (RuntimeException e) {
                // the writes stay in the write-ahead log; the next round tries again
                LOG.warn("cannot commit namespace '{}' of the local index: {}", ns.name(), e.toString());
            }
        }
    }

    /**
     * The dimension of the index: the configured one, unless a namespace already holds vectors of another
     * (the folder was indexed with another model), then theirs; 0 while empty and nothing was configured.
     */
    public int dimension() {
        int d = dimension;
        if (d < 0) {
            synchronized (this) {
                if (dimension < 0) {
                    dimension = stored();
                }
                d = dimension;
            }
        }
        return d;
    }

    /** The dimension for an upsert of vectors of {@code size}: an index without one yet takes it. */
    public synchronized int dimensionFor(int size) {
        if (dimension() == 0) {
            dimension = size;
        }
        return dimension;
    }

    /** After a namespace was emptied: the dimension is read again from what the namespaces still hold. */
    public synchronized void forgetDimension() {
        dimension = -1;
    }

    /** A Lucene index keeps the vector size of its first vector: read one vector of each namespace. */
    private int stored() {
        if (!Files.isDirectory(root)) {
            return configured;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
                LuceneNamespace ns = namespace(nameOf(d.getFileName().toString()), true);
                if (ns == null) {
                    continue;
                }
                List<String> first = ns.list(null, null, 1);
                VectorRecord r = first.isEmpty() ? null : ns.fetch(first).get(first.get(0));
                if (r != null && r.values().length != configured) {
                    return r.values().length;
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return configured;
    }

    /**
     * The name answers give a namespace: the default one is {@code "__default__"}, as Pinecone answers from API
     * version 2025-04 on (and its SDKs expect), in queries, fetches, lists, stats and namespace descriptions alike.
     * A request may name it {@code ""}, {@code "__default__"} or not at all.
     */
    public static String shown(String namespace) {
        return namespace == null || namespace.isEmpty() ? DEFAULT_FOLDER : namespace;
    }

    private static String folder(String namespace) {
        return namespace == null || namespace.isEmpty() || namespace.equals(DEFAULT_FOLDER) ? DEFAULT_FOLDER
                : java.net.URLEncoder.encode(namespace, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String nameOf(String folder) {
        return folder.equals(DEFAULT_FOLDER) ? "" : java.net.URLDecoder.decode(folder, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The namespace, opened (and created) when {@code create} is true or it exists on disk; else null.
     * Read-side, only a namespace with a commit or a logged write is opened, and nothing is created.
     */
    public LuceneNamespace namespace(String namespace, boolean create) {
        String f = folder(namespace);
        LuceneNamespace ns = open.get(f);
        if (ns != null) {
            return ns;
        }
        if ((readOnly || !create) && !Files.isDirectory(root.resolve(f))) {
            return null;
        }
        if (readOnly) {
            // a namespace the writer has neither committed nor logged to yet is not there: asked again next time
            synchronized (open) {
                ns = open.get(f);
                if (ns == null) {
                    ns = LuceneNamespace.openReadOnly(nameOf(f), root.resolve(f));
                    if (ns != null) {
                        open.put(f, ns);
                    }
                }
                return ns;
            }
        }
        return open.computeIfAbsent(f, k -> new LuceneNamespace(nameOf(k), root.resolve(k)));
    }

    /** Vector counts by namespace name, for describe_index_stats. */
    public Map<String, Integer> counts() {
        var out = new TreeMap<String, Integer>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.filter(Files::isDirectory).forEach(d -> {
                    LuceneNamespace ns = namespace(nameOf(d.getFileName().toString()), true);
                    int n = ns == null ? 0 : ns.count();
                    if (n > 0) {
                        out.put(ns.name(), n);
                    }
                });
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return out;
    }

    @Override
    public void close() {
        // not shutdownNow: an interrupt in the middle of a commit would close Lucene's files under it
        committer.shutdown();
        try {
            committer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        open.values().forEach(LuceneNamespace::close);
        open.clear();
        if (owner != null) {
            try {
                owner.close();
            } catch (java.io.IOException e) {
                LOG.debug("releasing the local index in {}: {}", root, e.toString());
            }
        }
    }
}
