package batchimage.lineage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PngChunks}: size, text chunks of the three kinds, chunks skipped unread, and every kind of broken file. */
class PngChunksTest {

    @TempDir
    Path dir;

    @Test
    void readsSizeAndTextChunksInFileOrder() throws IOException {
        Path file = TestPng.of(640, 480).text("first", "one").ztxt("second", "two").idat(2, 2)
                .itxt("third", "three", false).iend().write(dir, "a.png");

        PngChunks chunks = PngChunks.read(file);

        assertThat(chunks.width()).isEqualTo(640);
        assertThat(chunks.height()).isEqualTo(480);
        assertThat(chunks.texts()).containsExactly(new PngText("first", "one", "tEXt"),
                new PngText("second", "two", "zTXt"), new PngText("third", "three", "iTXt"));
        assertThat(chunks.text("second")).contains("two");
        assertThat(chunks.text("missing")).isEmpty();
    }

    @Test
    void findsTextChunksAfterTheImageData() throws IOException {
        Path file = TestPng.of(1, 1).idat(1, 1).idat(1, 1).text("parameters", "after IDAT").iend()
                .write(dir, "late.png");

        assertThat(PngChunks.read(file).text("parameters")).contains("after IDAT");
    }

    @Test
    void decodesTextAndZtxtAsLatin1() throws IOException {
        Path file = TestPng.of(1, 1).text("a", "café crème").ztxt("b", "naïve façade").idat(1, 1).iend()
                .write(dir, "latin1.png");

        PngChunks chunks = PngChunks.read(file);

        assertThat(chunks.text("a")).contains("café crème");
        assertThat(chunks.text("b")).contains("naïve façade");
    }

    @Test
    void decodesItxtAsUtf8CompressedOrNot() throws IOException {
        String text = "猫が座っている ☕ — żółw";
        Path file = TestPng.of(1, 1).itxt("plain", text, false).itxt("packed", text, true).idat(1, 1).iend()
                .write(dir, "itxt.png");

        PngChunks chunks = PngChunks.read(file);

        assertThat(chunks.text("plain")).contains(text);
        assertThat(chunks.text("packed")).contains(text);
    }

    @Test
    void skipsImageDataWithoutReadingIt() throws IOException {
        // an IDAT declaring 200 MB of zeros with a wrong CRC, in a sparse file: read, it would fail the CRC
        Path file = dir.resolve("huge.png");
        byte[] head = TestPng.of(8000, 8000).text("before", "x").bytes();
        int idatLength = 200 * 1024 * 1024;
        byte[] tail = TestPng.of(1, 1).text("after", "y").iend().bytes();
        byte[] tailChunks = Arrays.copyOfRange(tail, 8 + 25, tail.length);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(head);
            raf.write(ByteBuffer.allocate(8).putInt(idatLength).put("IDAT".getBytes(StandardCharsets.US_ASCII))
                    .array());
            raf.seek(head.length + 8L + idatLength);
            raf.writeInt(0xdeadbeef);
            raf.write(tailChunks);
        }

        PngChunks chunks = PngChunks.read(file);

        assertThat(chunks.text("before")).contains("x");
        assertThat(chunks.text("after")).contains("y");
    }

    @Test
    void badCrcOfATextChunkNamesFileAndChunk() throws IOException {
        byte[] data = TestPng.concat(TestPng.latin1("prompt"), new byte[] {0}, TestPng.latin1("{}"));
        Path file = TestPng.of(1, 1).chunk("tEXt", data, 12345).idat(1, 1).iend().write(dir, "crc.png");

        assertThatThrownBy(() -> PngChunks.read(file)).isInstanceOf(PngFormatException.class)
                .hasMessageContaining("crc.png").hasMessageContaining("tEXt at offset 33")
                .hasMessageContaining("bad CRC");
    }

    @Test
    void truncatedInsideTheImageData() throws IOException {
        byte[] whole = TestPng.of(4, 4).text("prompt", "{}").idat(4, 4).iend().bytes();
        Path file = TestPng.write(dir, "cut.png", Arrays.copyOf(whole, whole.length - 20));

        assertThatThrownBy(() -> PngChunks.read(file)).isInstanceOf(PngFormatException.class)
                .hasMessageContaining("cut.png").hasMessageContaining("IDAT").hasMessageContaining("truncated");
    }

    @Test
    void truncatedBeforeIend() throws IOException {
        Path file = TestPng.of(1, 1).text("prompt", "{}").idat(1, 1).write(dir, "noend.png");

        assertThatThrownBy(() -> PngChunks.read(file)).isInstanceOf(PngFormatException.class)
                .hasMessageContaining("noend.png").hasMessageContaining("without IEND");
    }

    @Test
    void truncatedInsideAChunkHeader() throws IOException {
        byte[] whole = TestPng.of(1, 1).idat(1, 1).iend().bytes();
        Path file = TestPng.write(dir, "header.png", Arrays.copyOf(whole, whole.length - 9));

        assertThatThrownBy(() -> PngChunks.read(file)).isInstanceOf(PngFormatException.class)
                .hasMessageContaining("header.png").hasMessageContaining("truncated");
    }

    @Test
    void notAPng() throws IOException {
        Path jpeg = TestPng.write(dir, "photo.png", new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0, 1, 2, 3, 4,
                5, 6, 7, 8});
        Path tiny = TestPng.write(dir, "tiny.png", new byte[] {1, 2});

        assertThatThrownBy(() -> PngChunks.read(jpeg)).isInstanceOf(PngFormatException.class)
                .hasMessageContaining("photo.png").hasMessageContaining("not a PNG");
        assertThatThrownBy(() -> PngChunks.read(tiny)).hasMessageContaining("not a PNG");
    }

    @Test
    void firstChunkMustBeIhdr() throws IOException {
        byte[] bytes = TestPng.concat(TestPng.SIGNATURE, Arrays.copyOfRange(
                TestPng.of(1, 1).text("a", "b").bytes(), 8 + 25, 8 + 25 + 15));
        Path file = TestPng.write(dir, "noihdr.png", TestPng.concat(bytes, Arrays.copyOfRange(
                TestPng.of(1, 1).iend().bytes(), 33, 45)));

        assertThatThrownBy(() -> PngChunks.read(file)).hasMessageContaining("not IHDR");
    }

    @Test
    void badZlibStreamNamesTheChunk() throws IOException {
        byte[] data = TestPng.concat(TestPng.latin1("prompt"), new byte[] {0, 0}, new byte[] {0x78, (byte) 0x9c, 1,
                2, 3, 4, 5, 6});
        Path file = TestPng.of(1, 1).chunk("zTXt", data).idat(1, 1).iend().write(dir, "zlib.png");

        assertThatThrownBy(() -> PngChunks.read(file)).isInstanceOf(PngFormatException.class)
                .hasMessageContaining("zlib.png").hasMessageContaining("zTXt \"prompt\"")
                .hasMessageContaining("bad zlib stream");
    }

    @Test
    void zlibStreamCutShort() throws IOException {
        byte[] packed = TestPng.deflate(TestPng.latin1("a long enough text ".repeat(50)));
        byte[] data = TestPng.concat(TestPng.latin1("workflow"), new byte[] {0, 0},
                Arrays.copyOf(packed, packed.length / 2));
        Path file = TestPng.of(1, 1).chunk("zTXt", data).idat(1, 1).iend().write(dir, "short.png");

        assertThatThrownBy(() -> PngChunks.read(file)).hasMessageContaining("zTXt \"workflow\"")
                .hasMessageContaining("ends early");
    }

    @Test
    void textChunkOverTheLimitIsRefusedUnread() throws IOException {
        Path file = dir.resolve("big.png");
        byte[] head = TestPng.of(1, 1).bytes();
        int length = PngChunks.MAX_TEXT_CHUNK + 1;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(head);
            raf.write(ByteBuffer.allocate(8).putInt(length).put("tEXt".getBytes(StandardCharsets.US_ASCII))
                    .array());
            raf.setLength(head.length + 8L + length + 4 + 12);
        }

        assertThatThrownBy(() -> PngChunks.read(file)).isInstanceOf(PngFormatException.class)
                .hasMessageContaining("big.png").hasMessageContaining("tEXt").hasMessageContaining("over the limit");
    }

    @Test
    void inflationBombIsStopped() throws IOException {
        byte[] bomb = TestPng.deflate(new byte[PngChunks.MAX_INFLATED + 1024]);
        assertThat(bomb.length).isLessThan(PngChunks.MAX_TEXT_CHUNK);
        byte[] data = TestPng.concat(TestPng.latin1("prompt"), new byte[] {0, 1, 0, 0, 0}, bomb);
        Path file = TestPng.of(1, 1).chunk("iTXt", data).idat(1, 1).iend().write(dir, "bomb.png");

        assertThatThrownBy(() -> PngChunks.read(file)).isInstanceOf(PngFormatException.class)
                .hasMessageContaining("iTXt \"prompt\"").hasMessageContaining("inflates to more than");
    }

    @Test
    void readsTheFixtureKinds() throws IOException {
        Path data = Fixtures.dir();
        PngChunks ztxt = PngChunks.read(data.resolve("000000022192.png"));
        PngChunks itxt = PngChunks.read(data.resolve("ComfyUI_00005_.png"));
        PngChunks none = PngChunks.read(data.resolve("000000034417.png"));

        assertThat(List.of(ztxt.width(), ztxt.height())).containsExactly(256, 170);
        assertThat(ztxt.texts()).extracting(PngText::keyword, PngText::chunkType)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("prompt", "zTXt"),
                        org.assertj.core.groups.Tuple.tuple("workflow", "zTXt"));
        assertThat(ztxt.text("prompt").orElseThrow()).startsWith("{").contains("KSampler");
        assertThat(itxt.texts()).extracting(PngText::chunkType).containsExactly("iTXt");
        assertThat(itxt.text("parameters").orElseThrow()).startsWith("A cats sits on the table");
        assertThat(none.texts()).isEmpty();
        assertThat(List.of(none.width(), none.height())).containsExactly(256, 192);
    }
}
