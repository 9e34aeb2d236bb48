package batchimage.images;

import batchimage.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The folders images are served from ({@code media.dirs}, {@code MEDIA_DIRS}; default {@code <data>/media}),
 * and the one way a record's {@code file_path} becomes a file: inside them, or not at all.
 *
 * <ul>
 * <li>a relative path is looked up in each folder in turn, then by its shorter tails and its file name;</li>
 * <li>an absolute path is served only when its real path lies inside a folder's real path;</li>
 * <li>a Windows path ({@code C:\...\name.png}, {@code C:/...}, {@code \\server\share\...}) is looked up by
 * its tails and file name in the folders;</li>
 * <li>{@code ..}, NUL bytes, URLs and URL-encoded separators are refused before anything is looked up.</li>
 * </ul>
 * Every file found is checked by its real path (symlinks resolved), so a symlink inside a folder that points
 * out of the folders is refused too.
 */
public final class MediaFolders {

    private static final Pattern SEPARATORS = Pattern.compile("[\\\\/]+");
    /** {@code C:\}, {@code C:/}, {@code C:name} (drive-relative), {@code \\server} and {@code //server} (UNC). */
    private static final Pattern WINDOWS = Pattern.compile("^(?:[A-Za-z]:|[\\\\/]{2})");
    private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:");
    /** {@code file:}, {@code http://}, {@code data:}...: a scheme of two letters or more (one is a drive). */
    private static final Pattern URL_LIKE = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:|://");
    /** Percent-encoded dots, separators and NUL: a path meant to be decoded into a traversal. */
    private static final Pattern ENCODED = Pattern.compile("%(?:2e|2f|5c|00)", Pattern.CASE_INSENSITIVE);

    private final List<Path> folders;
    private final FileNameLookup byName;

    /** Folders in the order they are searched; file names are looked up directly inside each. */
    public MediaFolders(List<Path> folders) {
        this(folders, FileNameLookup.inFolders(absolute(folders)));
    }

    /** With another way to find files by name (one listing of each folder, say); its answers are still checked. */
    public MediaFolders(List<Path> folders, FileNameLookup byName) {
        if (folders.isEmpty()) {
            throw new IllegalArgumentException("at least one media folder is needed");
        }
        this.folders = absolute(folders);
        this.byName = byName;
    }

    /**
     * The folders of {@code media.dirs} (comma-separated), or {@code <data>/media} when it is empty, with file
     * names looked up in a {@link MediaIndex} of them (checked again {@code media.recheck-ms} after the last check).
     */
    public static MediaFolders from(Settings settings) {
        List<Path> dirs = absolute(configured(settings.get("media.dirs"), settings.dataDir()));
        return new MediaFolders(dirs, new MediaIndex(dirs, settings.getInt("media.recheck-ms")));
    }

    /** How file names are looked up (a {@link MediaIndex} for the service). */
    public FileNameLookup byName() {
        return byName;
    }

    /**
     * The image of a record named {@code name} (its {@code file_name}): {@code <name>.png|jpg|jpeg|webp} or
     * ComfyUI's {@code <name>_00001_.png} anywhere in the folders, checked as every other path is.
     */
    public MediaLookup image(String name) {
        String n = name == null ? "" : name.strip();
        if (n.isEmpty() || n.indexOf('\0') >= 0 || n.contains("/") || n.contains("\\") || n.equals("..") || !plainName(n)) {
            return new MediaLookup.Missing("no file name to look for");
        }
        List<Path> real = realFolders();
        MediaLookup.Outside refused = null;
        for (Path candidate : byName.images(n)) {
            if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            MediaLookup found = check(candidate, real);
            if (found instanceof MediaLookup.Found) {
                return found;
            }
            if (found instanceof MediaLookup.Outside o && refused == null) {
                refused = o;
            }
        }
        return refused != null ? refused
                : new MediaLookup.Missing("no image " + n + ".png|jpg|jpeg|webp or " + n + "_NNNNN_.png in the media folders");
    }

    static List<Path> configured(String mediaDirs, Path dataDir) {
        List<Path> dirs = Arrays.stream(mediaDirs.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(Path::of)
                .toList();
        return dirs.isEmpty() ? List.of(dataDir.resolve("media")) : dirs;
    }

    private static List<Path> absolute(List<Path> folders) {
        return folders.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    public List<Path> folders() {
        return folders;
    }

    /** Where {@code filePath} (a record's {@code file_path}, as stored) leads. */
    public MediaLookup resolve(String filePath) {
        String path = unquoted(filePath == null ? "" : filePath.strip());
        if (path.isEmpty()) {
            return new MediaLookup.Missing("the record has no file_path");
        }
        if (path.indexOf('\0') >= 0) {
            return new MediaLookup.Outside("file_path holds a NUL byte");
        }
        if (URL_LIKE.matcher(path).find()) {
            return new MediaLookup.Outside("file_path is a URL, not a path in the media folders");
        }
        if (ENCODED.matcher(path).find()) {
            return new MediaLookup.Outside("file_path holds percent-encoded dots, separators or NUL");
        }
        boolean windows = WINDOWS.matcher(path).find();
        List<String> segments = segments(windows ? DRIVE.matcher(path).replaceFirst("") : path);
        if (segments.contains("..")) {
            return new MediaLookup.Outside("file_path climbs out with '..'");
        }
        if (segments.isEmpty()) {
            return new MediaLookup.Missing("file_path names no file");
        }
        for (String s : segments) {
            if (!plainName(s)) {
                return new MediaLookup.Outside("file_path has a part that is not a plain name: " + s);
            }
        }
        Optional<Path> absolute = nativeAbsolute(path);
        if (absolute.isPresent()) {
            MediaLookup inside = absolute(absolute.get());
            // a Windows path on Windows that is not inside a folder may still be found by its name
            if (!windows || inside instanceof MediaLookup.Found) {
                return inside;
            }
        }
        return byTails(segments);
    }

    /** An absolute path of this machine: only inside a folder, and the same answer whether it exists or not. */
    private MediaLookup absolute(Path path) {
        List<Path> real = realFolders();
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return check(path, real);
        }
        Path p = path.normalize();
        boolean underFolder = folders.stream().anyMatch(p::startsWith) || real.stream().anyMatch(p::startsWith);
        return underFolder ? new MediaLookup.Missing("no such file: " + path)
                : new MediaLookup.Outside("an absolute path outside the media folders");
    }

    /**
     * The relative path in each folder, then its shorter tails ({@code b/c.png} of {@code a/b/c.png}), then
     * the file name alone through {@link FileNameLookup}: the longest match in the first folder wins.
     */
    private MediaLookup byTails(List<String> segments) {
        List<Path> real = realFolders();
        MediaLookup.Outside refused = null;
        for (int from = 0; from < segments.size(); from++) {
            List<Path> candidates = new ArrayList<>();
            if (from == segments.size() - 1) {
                // directly in each folder first (a file added since the index's last check is found at once), then anywhere below
                for (Path folder : folders) {
                    candidates.add(folder.resolve(segments.get(from)));
                }
                candidates.addAll(byName.find(segments.get(from)));
            } else {
                for (Path folder : folders) {
                    Path candidate = folder;
                    for (String s : segments.subList(from, segments.size())) {
                        candidate = candidate.resolve(s);
                    }
                    candidates.add(candidate);
                }
            }
            for (Path candidate : candidates) {
                if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                MediaLookup found = check(candidate, real);
                if (found instanceof MediaLookup.Found) {
                    return found;
                }
                if (found instanceof MediaLookup.Outside o && refused == null) {
                    refused = o;
                }
            }
        }
        return refused != null ? refused : new MediaLookup.Missing("no file " + String.join("/", segments) + " in the media folders");
    }

    /** The real path of {@code candidate}, if it is a regular file inside one of the real folders. */
    private static MediaLookup check(Path candidate, List<Path> realFolders) {
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (IOException | SecurityException e) {
            return new MediaLookup.Missing("cannot resolve " + candidate + ": " + e.getMessage());
        }
        if (realFolders.stream().noneMatch(real::startsWith)) {
            return new MediaLookup.Outside("resolves (through a symlink) to a file outside the media folders");
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            return new MediaLookup.Missing("not a regular file: " + candidate);
        }
        return new MediaLookup.Found(real);
    }

    /** The folders as they really are (symlinks resolved); folders that do not exist (yet) are skipped. */
    private List<Path> realFolders() {
        var real = new ArrayList<Path>(folders.size());
        for (Path f : folders) {
            try {
                real.add(f.toRealPath());
            } catch (IOException | SecurityException e) {
                // an absent folder (an unplugged drive) serves nothing until it is back
            }
        }
        return real;
    }

    private static Optional<Path> nativeAbsolute(String path) {
        try {
            Path p = Path.of(path);
            return p.isAbsolute() ? Optional.of(p) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    private static List<String> segments(String path) {
        return Arrays.stream(SEPARATORS.split(path)).filter(s -> !s.isEmpty() && !s.equals(".")).toList();
    }

    /** One name, with no root or drive of this machine's file system in it ({@code C:} on Windows). */
    private static boolean plainName(String segment) {
        try {
            Path p = Path.of(segment);
            return p.getRoot() == null && !p.isAbsolute() && p.getNameCount() == 1;
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** Windows' "Copy as path" wraps the path in double quotes. */
    private static String unquoted(String path) {
        return path.length() >= 2 && path.startsWith("\"") && path.endsWith("\"") ? path.substring(1, path.length() - 1).strip() : path;
    }
}
