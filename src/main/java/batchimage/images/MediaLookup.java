package batchimage.images;

import java.nio.file.Path;

/** Where a record's {@code file_path} led: to a file inside the media folders, to nothing, or out of them. */
public sealed interface MediaLookup {

    /** A regular file inside a media folder; {@code file} is its real path (no symlinks left in it). */
    record Found(Path file) implements MediaLookup {
    }

    /** Nothing to serve: no path, or no such file in any media folder. */
    record Missing(String why) implements MediaLookup {
    }

    /** The path would leave the media folders ({@code ..}, a symlink out, another absolute path, a URL): refused. */
    record Outside(String why) implements MediaLookup {
    }
}
