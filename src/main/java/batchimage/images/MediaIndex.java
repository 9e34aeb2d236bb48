package batchimage.images;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of the media folders by name, built from one recursive listing of each folder (symlinks are
 * listed, not followed), so that finding many records' images costs no directory scan per record.
 *
 * <p>Kept fresh by the folders' own modification times: a directory's mtime changes when a file is added,
 * removed or renamed in it, so when a lookup comes at least {@code recheckMillis} after the last check,
 * every listed directory is stat'ed (one call each, no listing) and the folders are listed again only if one
 * changed. That costs nothing while nobody looks, sees a new image within {@code recheckMillis}, and needs no
 * watcher thread (a WatchService would need one registration per subfolder and misses changes on network shares).
 *
 * <p>Answers are candidates only: {@link MediaFolders} checks each one's real path before it is used.
 */
public final class MediaIndex implements FileNameLookup {

    private static final Logger LOG = LoggerFactory.getLogger(MediaIndex.class);
    /** The image files a record's name may have, in the order they are preferred. */
    public static final List<String> IMAGE_EXTENSIONS = List.of("png", "jpg", "jpeg", "webp");
    private static final Pattern IMAGE_NAME = Pattern.compile("(?i)^(.+)\\.(png|jpe?g|webp)$");
    /** ComfyUI's SaveImage counter: {@code <prefix>_00001_.png}. */
    private static final Pattern COUNTER = Pattern.compile("^(.+)_(\\d{5,})_$");

    private final List<Path> folders;
    private final long recheckMillis;
    private final LongSupplier clock;
    private final AtomicLong listings = new AtomicLong();
    private final AtomicLong builds = new AtomicLong();
    private volatile Snapshot snapshot;
    private volatile long checkedAt;
    /** One thread checks (and lists again) at a time; the others go on with the snapshot they have. */
    private final java.util.concurrent.atomic.AtomicBoolean checking = new java.util.concurrent.atomic.AtomicBoolean();

    /** What one listing of the folders found. */
    private record Snapshot(Map<String, List<Path>> byName, Map<String, List<Path>> byBase, Map<String, List<Path>> byCounterBase,
                            Map<Path, FileTime> directories, int files) {
    }

    public MediaIndex(List<Path> folders, long recheckMillis) {
        this(folders, recheckMillis, System::currentTimeMillis);
    }

    MediaIndex(List<Path> folders, long recheckMillis, LongSupplier clock) {
        this.folders = folders.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        this.recheckMillis = recheckMillis;
        this.clock = clock;
    }

    /** Files named exactly {@code fileName}, in folder order (first folder first), shallower paths first. */
    @Override
    public List<Path> find(String fileName) {
        return current().byName.getOrDefault(fileName, List.of());
    }

    /**
     * Image files for a record's name: {@code <name>} itself when it is an image file name, then
     * {@code <name>.png|jpg|jpeg|webp}, then ComfyUI's counters {@code <name>_00001_.png} (lowest first).
     */
    @Override
    public List<Path> images(String name) {
        Snapshot s = current();
        var out = new ArrayList<Path>();
        if (IMAGE_NAME.matcher(name).matches()) {
            out.addAll(s.byName.getOrDefault(name, List.of()));
        }
        out.addAll(s.byBase.getOrDefault(name, List.of()));
        out.addAll(s.byCounterBase.getOrDefault(name, List.of()));
        return out;
    }

    /** Recursive listings made so far (one per folder each time the index is built). */
    public long listings() {
        return listings.get();
    }

    /** Times the index was built (a change to any listed directory means one more). */
    public long builds() {
        return builds.get();
    }

    /** Files indexed by the last listing. */
    public int files() {
        return current().files;
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        long now = clock.getAsLong();
        if (s == null) {
            synchronized (this) {
                if (snapshot == null) {
                    snapshot = build();
                    checkedAt = now;
                }
                return snapshot;
            }
        }
        if (now - checkedAt >= recheckMillis && checking.compareAndSet(false, true)) {
            try {
                checkedAt = now;
                if (changed(s)) {
                    snapshot = build();
                }
            } finally {
                checking.set(false);
            }
            return snapshot;
        }
        return s;
    }

    /** Whether a listed directory (or a folder) was changed, removed or appeared since the listing. */
    private boolean changed(Snapshot s) {
        for (Path folder : folders) {
            if (!s.directories.containsKey(folder) && Files.isDirectory(folder)) {
                return true;
            }
        }
        for (var e : s.directories.entrySet()) {
            try {
                FileTime now = Files.getLastModifiedTime(e.getKey(), LinkOption.NOFOLLOW_LINKS);
                if (!now.equals(e.getValue())) {
                    return true;
                }
            } catch (IOException gone) {
                return true;
            }
        }
        return false;
    }

    private Snapshot build() {
        long start = System.nanoTime();
        var byName = new HashMap<String, List<Path>>();
        var byBase = new HashMap<String, List<Path>>();
        var byCounter = new HashMap<String, List<Path>>();
        var directories = new LinkedHashMap<Path, FileTime>();
        int[] files = {0};
        for (Path folder : folders) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            listings.incrementAndGet();
            // per folder, then shallower first, so that find() prefers the first folder and the shortest path
            var found = new ArrayList<Path>();
            try {
                Files.walkFileTree(folder, EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        // read before the entries: a file added during the listing changes it after, and is seen next check
                        directories.put(dir, attrs.lastModifiedTime());
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        // symlinks are listed as they are, not followed: MediaFolders checks where they lead
                        if (attrs.isRegularFile() || attrs.isSymbolicLink()) {
                            found.add(file);
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        LOG.debug("media folder entry {} cannot be read: {}", file, e.toString());
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                LOG.warn("cannot list media folder {}: {}", folder, e.getMessage());
            }
            found.sort((a, b) -> Integer.compare(a.getNameCount(), b.getNameCount()));
            for (Path file : found) {
                files[0]++;
                String name = file.getFileName().toString();
                byName.computeIfAbsent(name, k -> new ArrayList<>(1)).add(file);
                Matcher image = IMAGE_NAME.matcher(name);
                if (image.matches()) {
                    byBase.computeIfAbsent(image.group(1), k -> new ArrayList<>(1)).add(file);
                    Matcher counter = COUNTER.matcher(image.group(1));
                    if (counter.matches()) {
                        byCounter.computeIfAbsent(counter.group(1), k -> new ArrayList<>(1)).add(file);
                    }
                }
            }
        }
        byBase.values().forEach(l -> l.sort((a, b) -> Integer.compare(extensionRank(a), extensionRank(b))));
        byCounter.values().forEach(l -> l.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())));
        builds.incrementAndGet();
        LOG.info("media folders listed: {} files in {} directories of {} ({} ms)", files[0], directories.size(), folders,
                (System.nanoTime() - start) / 1_000_000);
        return new Snapshot(byName, byBase, byCounter, directories, files[0]);
    }

    /** png before jpg before jpeg before webp; the sort is stable, so folder order holds within one extension. */
    private static int extensionRank(Path file) {
        String name = file.getFileName().toString();
        String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        int i = IMAGE_EXTENSIONS.indexOf(ext);
        return i < 0 ? IMAGE_EXTENSIONS.size() : i;
    }
}
