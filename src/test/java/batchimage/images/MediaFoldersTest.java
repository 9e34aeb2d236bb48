package batchimage.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MediaFolders alone: what a file_path may reach, on a real file system with real symlinks. */
class MediaFoldersTest {

    @TempDir
    Path root;
    Path media1;
    Path media2;
    Path outside;
    MediaFolders folders;

    @BeforeEach
    void layout() throws IOException {
        media1 = Files.createDirectories(root.resolve("media1"));
        media2 = Files.createDirectories(root.resolve("media2"));
        outside = Files.createDirectories(root.resolve("outside"));
        write(media1.resolve("a.jpg"));
        write(media1.resolve("win.png"));
        write(Files.createDirectories(media1.resolve("sub")).resolve("b.jpg"));
        write(media2.resolve("only2.jpg"));
        write(Files.createDirectories(media2.resolve("sub2")).resolve("c.jpg"));
        Files.writeString(outside.resolve("secret.txt"), "TOP SECRET");
        write(outside.resolve("out.jpg"));
        write(Files.createDirectories(root.resolve("media1-sibling")).resolve("x.jpg"));
        Files.createSymbolicLink(media1.resolve("link-out.jpg"), outside.resolve("out.jpg"));
        Files.createSymbolicLink(media1.resolve("linkdir"), outside);
        Files.createSymbolicLink(media1.resolve("link-in.jpg"), media2.resolve("only2.jpg"));
        Files.createSymbolicLink(media1.resolve("dangling.jpg"), root.resolve("nowhere.jpg"));
        folders = new MediaFolders(List.of(media1, media2));
    }

    private static void write(Path file) throws IOException {
        Files.write(file, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
    }

    private Path found(String filePath) {
        MediaLookup r = folders.resolve(filePath);
        assertThat(r).as(filePath).isInstanceOf(MediaLookup.Found.class);
        return ((MediaLookup.Found) r).file();
    }

    private void outside(String filePath) {
        assertThat(folders.resolve(filePath)).as(filePath).isInstanceOf(MediaLookup.Outside.class);
    }

    private void missing(String filePath) {
        assertThat(folders.resolve(filePath)).as(filePath).isInstanceOf(MediaLookup.Missing.class);
    }

    private Path real(Path p) throws IOException {
        return p.toRealPath();
    }

    @Test
    void relativePathsAreLookedUpInEachFolderInTurn() throws IOException {
        assertThat(found("a.jpg")).isEqualTo(real(media1.resolve("a.jpg")));
        assertThat(found("./a.jpg")).isEqualTo(real(media1.resolve("a.jpg")));
        assertThat(found("sub/b.jpg")).isEqualTo(real(media1.resolve("sub/b.jpg")));
        assertThat(found("sub\\b.jpg")).isEqualTo(real(media1.resolve("sub/b.jpg")));
        assertThat(found("only2.jpg")).isEqualTo(real(media2.resolve("only2.jpg")));
        assertThat(found("sub2/c.jpg")).isEqualTo(real(media2.resolve("sub2/c.jpg")));
    }

    @Test
    void theFirstFolderWins() throws IOException {
        write(media2.resolve("a.jpg"));
        assertThat(found("a.jpg")).isEqualTo(real(media1.resolve("a.jpg")));
        assertThat(new MediaFolders(List.of(media2, media1)).resolve("a.jpg"))
                .isEqualTo(new MediaLookup.Found(real(media2.resolve("a.jpg"))));
    }

    @Test
    void aRelativePathNotFoundAsGivenIsFoundByItsTailOrFileName() throws IOException {
        // the media library's records say images/<name>.jpg; MEDIA_DIRS may point at images/ itself
        assertThat(found("images/a.jpg")).isEqualTo(real(media1.resolve("a.jpg")));
        assertThat(found("renders/batch7/sub2/c.jpg")).isEqualTo(real(media2.resolve("sub2/c.jpg")));
    }

    @Test
    void climbingOutIsRefusedWhateverLiesThere() {
        outside("../secret.txt");
        outside("../outside/secret.txt");
        outside("../../etc/passwd");
        outside("sub/../../outside/secret.txt");
        outside("sub/../a.jpg");
        outside("..\\outside\\secret.txt");
        outside("..");
        outside("a.jpg/..");
    }

    @Test
    void absolutePathsAreServedOnlyInsideAFolder() throws IOException {
        assertThat(found(media1.resolve("a.jpg").toString())).isEqualTo(real(media1.resolve("a.jpg")));
        assertThat(found(media2.resolve("sub2/c.jpg").toString())).isEqualTo(real(media2.resolve("sub2/c.jpg")));
        outside(outside.resolve("secret.txt").toString());
        outside(outside.resolve("out.jpg").toString());
        outside("/etc/passwd");
        // a folder whose name merely starts like a media folder's is not inside it
        outside(root.resolve("media1-sibling/x.jpg").toString());
    }

    @Test
    void anAbsolutePathOutsideIsRefusedWhetherOrNotItExists() {
        outside(outside.resolve("no-such-file.jpg").toString());
        outside("/no/such/place.jpg");
        missing(media1.resolve("no-such-file.jpg").toString());
    }

    @Test
    void symlinksLeadingOutAreRefusedAndThoseStayingInAreFollowed() throws IOException {
        outside("link-out.jpg");
        outside(media1.resolve("link-out.jpg").toString());
        outside("linkdir/out.jpg");
        outside("linkdir/secret.txt");
        outside(media1.resolve("linkdir/secret.txt").toString());
        outside("C:\\Users\\x\\link-out.jpg");
        assertThat(found("link-in.jpg")).isEqualTo(real(media2.resolve("only2.jpg")));
        missing("dangling.jpg");
    }

    @Test
    void aFolderThatIsItselfASymlinkServesWhatIsInIt() throws IOException {
        Path alias = Files.createSymbolicLink(root.resolve("media-alias"), media1);
        var viaAlias = new MediaFolders(List.of(alias));
        assertThat(viaAlias.resolve("a.jpg")).isEqualTo(new MediaLookup.Found(real(media1.resolve("a.jpg"))));
        assertThat(viaAlias.resolve(alias.resolve("sub/b.jpg").toString()))
                .isEqualTo(new MediaLookup.Found(real(media1.resolve("sub/b.jpg"))));
        assertThat(viaAlias.resolve(media1.resolve("a.jpg").toString()))
                .isEqualTo(new MediaLookup.Found(real(media1.resolve("a.jpg"))));
        assertThat(viaAlias.resolve("link-out.jpg")).isInstanceOf(MediaLookup.Outside.class);
    }

    @Test
    void windowsPathsAreFoundByFileNameInTheFolders() throws IOException {
        Path win = real(media1.resolve("win.png"));
        assertThat(found("C:\\Users\\x\\Pictures\\win.png")).isEqualTo(win);
        assertThat(found("C:/Users/x/Pictures/win.png")).isEqualTo(win);
        assertThat(found("c:\\win.png")).isEqualTo(win);
        assertThat(found("C:win.png")).isEqualTo(win);
        assertThat(found("\\\\nas\\share\\renders\\win.png")).isEqualTo(win);
        assertThat(found("//nas/share/renders/win.png")).isEqualTo(win);
        assertThat(found("\"C:\\Users\\x\\Pictures\\win.png\"")).isEqualTo(win);
        assertThat(found("D:\\ComfyUI\\output\\sub2\\c.jpg")).isEqualTo(real(media2.resolve("sub2/c.jpg")));
        missing("C:\\Users\\x\\Pictures\\not-there.png");
        outside("C:\\Users\\x\\..\\..\\secret.txt");
    }

    @Test
    void nulBytesUrlsAndEncodedTraversalsAreRefused() {
        outside("a.jpg\0.png");
        outside("\0");
        outside("file:///etc/passwd");
        outside("file:" + outside.resolve("secret.txt"));
        outside("http://example.com/a.jpg");
        outside("https://example.com/../secret.txt");
        outside("data:image/png;base64,iVBORw0KGgo=");
        outside("%2e%2e/secret.txt");
        outside("..%2fsecret.txt");
        outside("%2E%2E%5Csecret.txt");
        outside("a.jpg%00.png");
    }

    @Test
    void nothingToServeIsMissing() {
        missing(null);
        missing("");
        missing("   ");
        missing("no-such.jpg");
        missing("sub");
        missing(".");
        missing(media1.toString());
    }

    @Test
    void aFolderThatDoesNotExistIsSkipped() throws IOException {
        var withAbsent = new MediaFolders(List.of(root.resolve("unplugged-drive"), media1));
        assertThat(withAbsent.resolve("a.jpg")).isEqualTo(new MediaLookup.Found(real(media1.resolve("a.jpg"))));
        assertThat(withAbsent.resolve(root.resolve("unplugged-drive/a.jpg").toString())).isInstanceOf(MediaLookup.Missing.class);
    }

    @Test
    void whatAFileNameLookupAnswersIsCheckedToo() {
        // a lookup (say one built from a listing) that names a file outside does not get it served
        var lying = new MediaFolders(List.of(media1), name -> List.of(outside.resolve("secret.txt")));
        assertThat(lying.resolve("C:\\x\\secret.txt")).isInstanceOf(MediaLookup.Outside.class);
        assertThat(lying.resolve("secret.txt")).isInstanceOf(MediaLookup.Outside.class);
    }

    @Test
    void mediaDirsSettingIsCommaSeparatedAndDefaultsToTheDataFolder() {
        Path data = root.resolve("data");
        assertThat(MediaFolders.configured("", data)).containsExactly(data.resolve("media"));
        assertThat(MediaFolders.configured(" , ", data)).containsExactly(data.resolve("media"));
        assertThat(MediaFolders.configured(" /srv/a , ,/srv/b ", data)).containsExactly(Path.of("/srv/a"), Path.of("/srv/b"));
    }
}
