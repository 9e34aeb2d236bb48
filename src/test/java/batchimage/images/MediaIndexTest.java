package batchimage.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index of the media folders: one listing per folder, found by name and base name, fresh when a folder changes. */
class MediaIndexTest {

    @TempDir
    Path root;

    private static Path touch(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0});
    }

    @Test
    void manyFilesAreListedOncePerFolderWhateverTheNumberOfLookups() throws IOException {
        Path media1 = Files.createDirectories(root.resolve("media1"));
        Path media2 = Files.createDirectories(root.resolve("media2"));
        // 20,000 files here; EnrichManyFilesTest has the 100,000 through the enrich route
        for (int d = 0; d < 100; d++) {
            Path dir = Files.createDirectories(media1.resolve("batch-" + d).resolve("day"));
            for (int i = 0; i < 200; i++) {
                Files.createFile(dir.resolve(String.format("img_%03d_%03d.png", d, i)));
            }
        }
        touch(media2.resolve("deep/er/only-here_00001_.png"));
        var index = new MediaIndex(List.of(media1, media2), 0);
        var folders = new MediaFolders(List.of(media1, media2), index);

        for (int k = 0; k < 5000; k++) {
            int d = k % 100;
            int i = (k * 7) % 200;
            String name = String.format("img_%03d_%03d", d, i);
            Path expected = media1.resolve("batch-" + d).resolve("day").resolve(name + ".png").toRealPath();
            assertThat(folders.image(name)).as(name).isEqualTo(new MediaLookup.Found(expected));
            // a path of the old machine and a bare name find it too
            assertThat(folders.resolve("C:\\renders\\" + name + ".png")).isEqualTo(new MediaLookup.Found(expected));
            assertThat(folders.resolve(name + ".png")).isEqualTo(new MediaLookup.Found(expected));
        }
        assertThat(folders.image("only-here")).isEqualTo(new MediaLookup.Found(media2.resolve("deep/er/only-here_00001_.png").toRealPath()));
        assertThat(folders.image("img_100_000")).isInstanceOf(MediaLookup.Missing.class);
        assertThat(index.files()).isEqualTo(20_001);
        // recheck-ms 0: every lookup stats the directories, none lists them again
        assertThat(index.listings()).as("recursive listings").isEqualTo(2);
        assertThat(index.builds()).isEqualTo(1);
    }

    @Test
    void aFileAddedToASubfolderIsFoundOnceTheRecheckIsDue() throws IOException {
        Path media = Files.createDirectories(root.resolve("media"));
        touch(media.resolve("a/b/first.jpg"));
        var now = new AtomicLong(1_000_000);
        var index = new MediaIndex(List.of(media), 5_000, now::get);
        var folders = new MediaFolders(List.of(media), index);
        assertThat(folders.image("first")).isInstanceOf(MediaLookup.Found.class);
        assertThat(folders.image("second")).isInstanceOf(MediaLookup.Missing.class);

        Path second = touch(media.resolve("a/b/second.webp"));
        // make the change visible even on a file system whose times are coarse
        Files.setLastModifiedTime(second.getParent(), FileTime.fromMillis(Files.getLastModifiedTime(second.getParent()).toMillis() + 10_000));
        now.addAndGet(1_000);
        assertThat(folders.image("second")).as("not rechecked before media.recheck-ms").isInstanceOf(MediaLookup.Missing.class);
        now.addAndGet(5_000);
        assertThat(folders.image("second")).isEqualTo(new MediaLookup.Found(second.toRealPath()));
        assertThat(index.listings()).isEqualTo(2);

        now.addAndGet(60_000);
        assertThat(folders.image("first")).isInstanceOf(MediaLookup.Found.class);
        assertThat(index.listings()).as("nothing changed: no new listing").isEqualTo(2);

        // a new subfolder changes its parent's time
        Path third = touch(media.resolve("c/third.jpeg"));
        Files.setLastModifiedTime(media, FileTime.fromMillis(Files.getLastModifiedTime(media).toMillis() + 20_000));
        now.addAndGet(5_000);
        assertThat(folders.image("third")).isEqualTo(new MediaLookup.Found(third.toRealPath()));
    }

    @Test
    void extensionsAndCountersArePreferredInOrderAndSymlinksAreNotFollowedOut() throws IOException {
        Path media = Files.createDirectories(root.resolve("media"));
        Path outside = Files.createDirectories(root.resolve("outside"));
        touch(media.resolve("x/pic.jpg"));
        touch(media.resolve("y/pic.png"));
        touch(media.resolve("cat_00002_.png"));
        touch(media.resolve("z/cat_00001_.png"));
        touch(outside.resolve("secret.png"));
        touch(outside.resolve("hidden.png"));
        Files.createSymbolicLink(media.resolve("secret.png"), outside.resolve("secret.png"));
        Files.createSymbolicLink(media.resolve("linked-dir"), outside);
        var index = new MediaIndex(List.of(media), 0);
        var folders = new MediaFolders(List.of(media), index);

        assertThat(folders.image("pic")).isEqualTo(new MediaLookup.Found(media.resolve("y/pic.png").toRealPath()));
        assertThat(folders.image("pic.jpg")).isEqualTo(new MediaLookup.Found(media.resolve("x/pic.jpg").toRealPath()));
        assertThat(folders.image("cat")).isEqualTo(new MediaLookup.Found(media.resolve("z/cat_00001_.png").toRealPath()));
        assertThat(folders.image("secret")).as("a symlink out of the folders").isInstanceOf(MediaLookup.Outside.class);
        assertThat(folders.image("hidden")).as("a linked folder is not listed").isInstanceOf(MediaLookup.Missing.class);
        assertThat(folders.image("../outside/hidden")).isInstanceOf(MediaLookup.Missing.class);
        assertThat(index.find("hidden.png")).isEmpty();
    }
}
