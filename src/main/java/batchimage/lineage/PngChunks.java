package batchimage.lineage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The size and the text chunks of a PNG file, read chunk by chunk without ever reading the pixels.
 *
 * <p>The 8-byte signature is checked, then each chunk's length and type are read at its offset: {@code IHDR} gives
 * width and height; {@code tEXt} (Latin-1), {@code zTXt} (Latin-1, zlib) and {@code iTXt} (UTF-8, zlib when its
 * compression flag is 1) are read, CRC-checked and decoded; every other chunk, {@code IDAT} included, is skipped by
 * its length: its bytes are never read. Reading goes on until {@code IEND}, so text chunks after the image data are
 * found too.
 *
 * <p>Not a PNG, a truncated file, a missing {@code IEND}, a bad CRC (of the chunks that are read), a bad zlib stream
 * or a text chunk over {@value #MAX_TEXT_CHUNK} bytes (or inflating to more than {@value #MAX_INFLATED}) gives a
 * {@link PngFormatException} naming the file and the chunk.
 */
public final class PngChunks {

    /** The largest text chunk read, in bytes as stored. */
    public static final int MAX_TEXT_CHUNK = 16 * 1024 * 1024;
    /** The most text one file may decode to, all text chunks together, in bytes after inflating. */
    public static final int MAX_INFLATED = 64 * 1024 * 1024;
    /** The most text chunks one file may hold. */
    public static final int MAX_TEXT_CHUNKS = 10_000;

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final Path file;
    private final int width;
    private final int height;
    private final List<PngText> texts;

    private PngChunks(Path file, int width, int height, List<PngText> texts) {
        this.file = file;
        this.width = width;
        this.height = height;
        this.texts = List.copyOf(texts);
    }

    /** Reads the chunks of {@code file}; see the class comment for what is read and what is an error. */
    public static PngChunks read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return new Reader(file, channel).read();
        }
    }

    /** The file read. */
    public Path file() {
        return file;
    }

    /** Width in pixels, from IHDR. */
    public int width() {
        return width;
    }

    /** Height in pixels, from IHDR. */
    public int height() {
        return height;
    }

    /** All text chunks in file order. */
    public List<PngText> texts() {
        return texts;
    }

    /** The text of the first text chunk with this keyword (case-sensitive, as PNG keywords are). */
    public Optional<String> text(String keyword) {
        return texts.stream().filter(t -> t.keyword().equals(keyword)).map(PngText::text).findFirst();
    }

    /** Whether some text chunk has this keyword. */
    public boolean has(String keyword) {
        return texts.stream().anyMatch(t -> t.keyword().equals(keyword));
    }

    /** One pass over one file. */
    private static final class Reader {
        private final Path file;
        private final FileChannel channel;
        private final long size;
        private final List<PngText> texts = new ArrayList<>();
        private long decodedBytes;

        Reader(Path file, FileChannel channel) throws IOException {
            this.file = file;
            this.channel = channel;
            this.size = channel.size();
        }

        PngChunks read() throws IOException {
            if (size < SIGNATURE.length) {
                throw new PngFormatException(file, null, "not a PNG: only " + size + " bytes");
            }
            byte[] signature = readAt(0, SIGNATURE.length);
            for (int i = 0; i < SIGNATURE.length; i++) {
                if (signature[i] != SIGNATURE[i]) {
                    throw new PngFormatException(file, null, "not a PNG: bad signature");
                }
            }
            long pos = SIGNATURE.length;
            int width = -1;
            int height = -1;
            String last = "signature";
            while (true) {
                if (pos == size) {
                    throw new PngFormatException(file, null, "truncated: file ends after " + last + " without IEND");
                }
                if (pos + 8 > size) {
                    throw new PngFormatException(file, "header at offset " + pos,
                            "truncated: file ends inside a chunk header");
                }
                ByteBuffer header = ByteBuffer.wrap(readAt(pos, 8));
                long length = Integer.toUnsignedLong(header.getInt());
                byte[] typeBytes = new byte[4];
                header.get(typeBytes);
                String type = chunkType(typeBytes, pos);
                String where = type + " at offset " + pos;
                if (length > Integer.MAX_VALUE) {
                    throw new PngFormatException(file, where, "corrupt: length " + length + " over 2^31-1");
                }
                long dataEnd = pos + 8 + length;
                if (dataEnd + 4 > size) {
                    throw new PngFormatException(file, where, "truncated: chunk declares " + length
                            + " data bytes but the file ends " + (size - pos - 8) + " bytes after its header");
                }
                boolean first = pos == SIGNATURE.length;
                if (first != type.equals("IHDR")) {
                    throw new PngFormatException(file, where, first ? "the first chunk is not IHDR" : "a second IHDR");
                }
                switch (type) {
                    case "IHDR" -> {
                        if (length != 13) {
                            throw new PngFormatException(file, where, "IHDR has " + length + " bytes, not 13");
                        }
                        ByteBuffer ihdr = ByteBuffer.wrap(checkedData(pos, typeBytes, 13, where));
                        width = ihdr.getInt();
                        height = ihdr.getInt();
                        if (width <= 0 || height <= 0) {
                            throw new PngFormatException(file, where, "bad size " + Integer.toUnsignedString(width)
                                    + "x" + Integer.toUnsignedString(height));
                        }
                    }
                    case "tEXt", "zTXt", "iTXt" -> readText(pos, typeBytes, type, (int) length, where);
                    case "IEND" -> {
                        return new PngChunks(file, width, height, texts);
                    }
                    default -> {
                        // IDAT and any other chunk: skipped by its length, never read
                    }
                }
                last = where;
                pos = dataEnd + 4;
            }
        }

        private void readText(long pos, byte[] typeBytes, String type, int length, String where)
                throws IOException {
            if (length > MAX_TEXT_CHUNK) {
                throw new PngFormatException(file, where, "text chunk of " + length + " bytes is over the limit of "
                        + MAX_TEXT_CHUNK);
            }
            if (texts.size() >= MAX_TEXT_CHUNKS) {
                throw new PngFormatException(file, where, "more than " + MAX_TEXT_CHUNKS + " text chunks");
            }
            byte[] data = checkedData(pos, typeBytes, length, where);
            int nul = indexOf(data, 0, 0);
            if (nul < 1 || nul > 79) {
                throw new PngFormatException(file, where, nul < 0 ? "no NUL after the keyword"
                        : "keyword of " + nul + " bytes (1 to 79 allowed)");
            }
            String keyword = new String(data, 0, nul, StandardCharsets.ISO_8859_1);
            String named = type + " \"" + keyword + "\" at offset " + pos;
            String text = switch (type) {
                case "tEXt" -> count(new String(data, nul + 1, data.length - nul - 1, StandardCharsets.ISO_8859_1));
                case "zTXt" -> {
                    if (nul + 1 >= data.length || data[nul + 1] != 0) {
                        throw new PngFormatException(file, named, "unknown compression method");
                    }
                    byte[] inflated = inflate(data, nul + 2, named);
                    yield new String(inflated, StandardCharsets.ISO_8859_1);
                }
                default -> international(data, nul, named);
            };
            texts.add(new PngText(keyword, text, type));
        }

        /** iTXt: keyword NUL flag method language NUL translated-keyword NUL text (UTF-8). */
        private String international(byte[] data, int nul, String named) throws PngFormatException {
            if (nul + 2 >= data.length) {
                throw new PngFormatException(file, named, "truncated iTXt header");
            }
            int flag = data[nul + 1];
            int method = data[nul + 2];
            int languageEnd = indexOf(data, 0, nul + 3);
            int translatedEnd = languageEnd < 0 ? -1 : indexOf(data, 0, languageEnd + 1);
            if (translatedEnd < 0) {
                throw new PngFormatException(file, named, "iTXt without the NULs after language tag and translated "
                        + "keyword");
            }
            int start = translatedEnd + 1;
            if (flag == 0) {
                return count(new String(data, start, data.length - start, StandardCharsets.UTF_8));
            }
            if (flag != 1 || method != 0) {
                throw new PngFormatException(file, named, "unknown compression flag " + flag + " / method " + method);
            }
            return new String(inflate(data, start, named), StandardCharsets.UTF_8);
        }

        /** Inflates the zlib stream at {@code data[offset..]}, bounded by what is left of {@link #MAX_INFLATED}. */
        private byte[] inflate(byte[] data, int offset, String named) throws PngFormatException {
            long allowed = MAX_INFLATED - decodedBytes;
            Inflater inflater = new Inflater();
            try {
                inflater.setInput(data, offset, data.length - offset);
                ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(1 << 16, 4 * data.length + 64));
                byte[] buffer = new byte[1 << 16];
                while (!inflater.finished()) {
                    int n = inflater.inflate(buffer);
                    if (n == 0) {
                        if (inflater.finished()) {
                            break;
                        }
                        throw new PngFormatException(file, named, inflater.needsDictionary()
                                ? "bad zlib stream: needs a preset dictionary" : "bad zlib stream: it ends early");
                    }
                    if (out.size() + (long) n > allowed) {
                        throw new PngFormatException(file, named, "text inflates to more than " + MAX_INFLATED
                                + " bytes");
                    }
                    out.write(buffer, 0, n);
                }
                decodedBytes += out.size();
                return out.toByteArray();
            } catch (DataFormatException e) {
                throw new PngFormatException(file, named, "bad zlib stream: " + e.getMessage(), e);
            } finally {
                inflater.end();
            }
        }

        private String count(String text) throws PngFormatException {
            decodedBytes += text.length();
            if (decodedBytes > MAX_INFLATED) {
                throw new PngFormatException(file, null, "text chunks hold more than " + MAX_INFLATED + " bytes");
            }
            return text;
        }

        /** The chunk's data, after checking the CRC-32 over type and data. */
        private byte[] checkedData(long pos, byte[] typeBytes, int length, String where) throws IOException {
            ByteBuffer dataAndCrc = ByteBuffer.wrap(readAt(pos + 8, length + 4));
            byte[] data = new byte[length];
            dataAndCrc.get(data);
            long stored = Integer.toUnsignedLong(dataAndCrc.getInt());
            CRC32 crc = new CRC32();
            crc.update(typeBytes);
            crc.update(data);
            if (crc.getValue() != stored) {
                throw new PngFormatException(file, where, String.format("bad CRC: stored %08x, computed %08x",
                        stored, crc.getValue()));
            }
            return data;
        }

        private String chunkType(byte[] type, long pos) throws PngFormatException {
            for (byte b : type) {
                if (!((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z'))) {
                    throw new PngFormatException(file, "at offset " + pos, "corrupt: chunk type is not 4 letters");
                }
            }
            return new String(type, StandardCharsets.US_ASCII);
        }

        private byte[] readAt(long pos, int length) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, pos + buffer.position()) < 0) {
                    throw new PngFormatException(file, "at offset " + pos, "truncated: unexpected end of file");
                }
            }
            return buffer.array();
        }

        private static int indexOf(byte[] data, int value, int from) {
            for (int i = from; i < data.length; i++) {
                if (data[i] == value) {
                    return i;
                }
            }
            return -1;
        }
    }
}
