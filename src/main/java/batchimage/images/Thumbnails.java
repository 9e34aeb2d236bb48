package batchimage.images;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thumbnails made once and kept under {@code <data>/thumbs}: {@code <2 hex of id>/<id>-<hash>-v1-256.jpg}, where
 * the hash is of the image's real path, size and modification time, so that a changed
 * image gets a new thumbnail and the old one is removed. Files are written to a temporary name and moved into
 * place, so a reader (this process or another) sees a whole thumbnail or none; requests for one thumbnail at
 * the same time wait for a single rendering.
 */
public final class Thumbnails {

    private static final Logger LOG = LoggerFactory.getLogger(Thumbnails.class);
    /** Part of every key: changing how thumbnails are drawn makes new ones. */
    private static final String VERSION = "v1";
    private static final int MAX_REMEMBERED_UNREADABLE = 10_000;

    private final Path dir;
    private final ThumbnailRenderer renderer;
    private final ConcurrentMap<String, CompletableFuture<Optional<byte[]>>> inFlight = new ConcurrentHashMap<>();
    /** Keys of images no reader could read: not tried again until the image changes (or the process restarts). */
    private final Set<String> unreadable = ConcurrentHashMap.newKeySet();
    private final AtomicLong rendered = new AtomicLong();

    public Thumbnails(Path dir, ThumbnailRenderer renderer) {
        this.dir = dir;
        this.renderer = renderer;
    }

    /** The JPEG thumbnail of {@code image}, the record's file; empty when the image cannot be read. */
    public Optional<byte[]> jpeg(UUID id, MediaFile image) {
        String key = key(id, image);
        Path file = file(id, key);
        Optional<byte[]> cached = readCached(file);
        if (cached.isPresent()) {
            return cached;
        }
        if (unreadable.contains(key)) {
            return Optional.empty();
        }
        var mine = new CompletableFuture<Optional<byte[]>>();
        var running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return awaited(running);
        }
        try {
            Optional<byte[]> made = readCached(file).or(() -> make(id, key, image, file));
            mine.complete(made);
            return made;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    /** How thumbnails are drawn ({@code v1-256}): part of their keys and ETags, so a new way makes new ones. */
    public String variant() {
        return VERSION + "-" + renderer.maxSide();
    }

    /** How many thumbnails this process has drawn (not those served from the cache). */
    public long rendered() {
        return rendered.get();
    }

    public Path dir() {
        return dir;
    }

    /** The file a thumbnail of this image is kept in. */
    public Path file(UUID id, MediaFile image) {
        return file(id, key(id, image));
    }

    private String key(UUID id, MediaFile image) {
        return id + "-" + image.fingerprint() + "-" + variant();
    }

    private Path file(UUID id, String key) {
        return dir.resolve(id.toString().substring(0, 2)).resolve(key + ".jpg");
    }

    private Optional<byte[]> make(UUID id, String key, MediaFile image, Path file) {
        Optional<byte[]> jpeg = renderer.render(image.file());
        rendered.incrementAndGet();
        if (jpeg.isEmpty()) {
            if (unreadable.size() >= MAX_REMEMBERED_UNREADABLE) {
                unreadable.clear();
            }
            unreadable.add(key);
            LOG.info("no thumbnail for record {}: {} cannot be read as an image", id, image.file());
            return jpeg;
        }
        try {
            store(file, jpeg.get());
            removeOlder(id, file);
        } catch (IOException e) {
            // the thumbnail is still served; it is drawn again next time
            LOG.warn("cannot keep the thumbnail of record {} in {}: {}", id, dir, e.toString());
        }
        return jpeg;
    }

    /** Written beside its place and moved there in one step: nobody reads half a thumbnail. */
    private static void store(Path file, byte[] jpeg) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, jpeg);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Thumbnails of the record's earlier images (or of another file it pointed to). */
    private static void removeOlder(UUID id, Path current) {
        try (DirectoryStream<Path> older = Files.newDirectoryStream(current.getParent(), id + "-*.jpg")) {
            for (Path p : older) {
                if (!p.equals(current)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot remove older thumbnails of record {}: {}", id, e.toString());
        }
    }

    private static Optional<byte[]> readCached(Path file) {
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("cannot read the kept thumbnail {}: {}", file, e.toString());
            return Optional.empty();
        }
    }

    private static Optional<byte[]> awaited(CompletableFuture<Optional<byte[]>> running) {
        try {
            return running.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
