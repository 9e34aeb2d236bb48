package batchimage.lineage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Builds small PNG files chunk by chunk for the tests, with correct CRCs unless told otherwise. */
final class TestPng {

    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private TestPng() {
        out.writeBytes(SIGNATURE);
    }

    /** Signature and IHDR of an 8-bit RGB image. */
    static TestPng of(int width, int height) {
        TestPng png = new TestPng();
        png.chunk("IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        return png;
    }

    /** A 1×1 PNG with one text chunk before a tiny IDAT. */
    static byte[] withText(String keyword, String text) {
        return of(1, 1).text(keyword, text).idat(1, 1).iend().bytes();
    }

    TestPng text(String keyword, String text) {
        return chunk("tEXt", concat(latin1(keyword), new byte[] {0}, latin1(text)));
    }

    TestPng ztxt(String keyword, String text) {
        return chunk("zTXt", concat(latin1(keyword), new byte[] {0, 0}, deflate(latin1(text))));
    }

    TestPng itxt(String keyword, String text, boolean compressed) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        return chunk("iTXt", concat(latin1(keyword), new byte[] {0, (byte) (compressed ? 1 : 0), 0},
                latin1("en"), new byte[] {0}, "Schlüssel".getBytes(StandardCharsets.UTF_8), new byte[] {0},
                compressed ? deflate(body) : body));
    }

    /** IDAT of an all-black width×height RGB image (filter byte 0 per row). */
    TestPng idat(int width, int height) {
        return chunk("IDAT", deflate(new byte[height * (1 + 3 * width)]));
    }

    TestPng iend() {
        return chunk("IEND", new byte[0]);
    }

    TestPng chunk(String type, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        return chunk(type, data, (int) crc.getValue());
    }

    /** A chunk with the CRC given, right or wrong. */
    TestPng chunk(String type, byte[] data, int crc) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(type.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(crc).array());
        return this;
    }

    /** Raw bytes, e.g. a chunk header declaring more data than follows. */
    TestPng raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    Path write(Path dir, String name) throws IOException {
        return write(dir, name, bytes());
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    static byte[] latin1(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater();
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
