package batchimage.images;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds files by name alone, for paths recorded on another machine ({@code C:\...\name.png}). What it
 * returns are only candidates: {@link MediaFolders} still checks that each one's real path lies inside
 * a media folder, so a lookup (such as one built from a listing of the folders) need not be trusted.
 */
@FunctionalInterface
public interface FileNameLookup {

    /** Paths that may hold a file of this name, the preferred first; empty when there is none. */
    List<Path> find(String fileName);

    /**
     * Image files for a record's name: {@code name} itself when it is an image file name, then
     * {@code <name>.png|jpg|jpeg|webp}; a lookup built from a listing also finds ComfyUI's counters
     * ({@code <name>_00001_.png}).
     */
    default List<Path> images(String name) {
        var out = new java.util.ArrayList<Path>();
        if (name.matches("(?i).+\\.(png|jpe?g|webp)")) {
            out.addAll(find(name));
        }
        for (String ext : MediaIndex.IMAGE_EXTENSIONS) {
            out.addAll(find(name + "." + ext));
        }
        return out;
    }

    /** Looks directly inside each folder, in order (no listing, no subfolders). */
    static FileNameLookup inFolders(List<Path> folders) {
        return name -> folders.stream()
                .map(folder -> folder.resolve(name))
                .filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS))
                .toList();
    }
}
