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

    /** Looks directly inside each folder, in order (no listing, no subfolders). */
    static FileNameLookup inFolders(List<Path> folders) {
        return name -> folders.stream()
                .map(folder -> folder.resolve(name))
                .filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS))
                .toList();
    }
}
