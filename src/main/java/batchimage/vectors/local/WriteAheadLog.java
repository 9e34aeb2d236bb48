package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The write-ahead log of one namespace. Every upsert and delete by id is appended here and forced to
 * disk before it is applied and acknowledged, so that Lucene can commit seldom (few, large segments, no
 * fsync of a dozen files per request) while an acknowledged write still survives a crash.
 *
 * <p>Files are {@code batch-image-wal-<generation>.log} in the namespace's folder (names Lucene leaves
 * alone). Each entry is framed by its length and a CRC-32 and written after the last whole one; a torn
 * tail, a write the crash interrupted and so never acknowledged, ends the replay. Before a commit the log switches to a new generation;
 * the older ones are deleted once the commit is durable. Replaying an entry twice is harmless: upserts
 * and deletes by id set a record's final state. The commit names the last generation it holds ({@link #COVERED}
 * in Lucene's commit data), and a generation it holds is never replayed: a crash between the commit and the
 * deletion would otherwise apply old writes over a later delete the log does not hold (a delete by filter).
 * A new generation's file is forced into its folder before anything written to it is acknowledged.
 */
final class WriteAheadLog implements AutoCloseable {

    private static final String PREFIX = "batch-image-wal-";
    private static final String SUFFIX = ".log";
    private static final byte UPSERT = 'U';
    private static final byte DELETE = 'D';
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The key of Lucene's commit data that names the last generation a commit holds. */
    static final String COVERED = "batch-image.wal-covered";

    /** A logged write. */
    sealed interface Entry permits Upsert, Delete {
    }

    record Upsert(List<VectorRecord> records) implements Entry {
    }

    record Delete(List<String> ids) implements Entry {
    }

    private final Path dir;
    private final List<Path> left;
    private final long covered;
    private long generation;
    private FileChannel channel;
    private long bytes;

    /** Opens the log of a folder no commit names a generation of. */
    WriteAheadLog(Path dir) {
        this(dir, 0);
    }

    /**
     * Opens the log in {@code dir}, whose last commit holds the generations up to {@code covered}: later ones are kept
     * for {@link #replayLeftOver}; writes go to a new one, numbered past both.
     */
    WriteAheadLog(Path dir, long covered) {
        this.dir = dir;
        this.left = generations(dir);
        this.covered = covered;
        this.generation = Math.max(covered, left.isEmpty() ? 0 : generationOf(left.get(left.size() - 1))) + 1;
        try {
            // the namespace's folder itself, new with its first write, is an entry of the index's folder
            org.apache.lucene.util.IOUtils.fsync(dir.toAbsolutePath().getParent(), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot force the folder of " + dir + " to disk", e);
        }
        this.channel = open(generation);
    }

    /** Applies what the logs left by the last process hold and its last commit does not, oldest first; returns the entries applied. */
    int replayLeftOver(Consumer<Entry> apply) {
        int n = 0;
        for (Path p : left) {
            if (generationOf(p) > covered) {
                n += replay(p, apply);
            }
        }
        return n;
    }

    /** The generation writes go to now. */
    synchronized long generation() {
        return generation;
    }

    /** Deletes the logs left by the last process (call once what they held is committed). */
    void dropLeftOver() {
        for (Path p : left) {
            delete(p);
        }
        left.clear();
    }

    /** Appends an entry and forces it to disk. */
    synchronized void append(Entry e) {
        byte[] payload = encode(e);
        var crc = new CRC32();
        crc.update(payload);
        ByteBuffer frame = ByteBuffer.allocate(12 + payload.length);
        frame.putInt(payload.length).putLong(crc.getValue()).put(payload).flip();
        try {
            if (!channel.isOpen()) {
                // closed under a writer that was interrupted: go on after the last whole entry
                channel = open(generation);
            }
            long at = bytes;
            while (frame.hasRemaining()) {
                at += channel.write(frame, at);
            }
            channel.force(false);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot write the write-ahead log in " + dir, x);
        }
        bytes += frame.limit();
    }

    /** Bytes written to the current generation. */
    synchronized long bytes() {
        return bytes;
    }

    /** Starts a new generation and returns the number of the one it closed. */
    synchronized long rotate() {
        close(channel);
        long closed = generation;
        generation++;
        channel = open(generation);
        bytes = 0;
        return closed;
    }

    /** Deletes the generations up to {@code last}: a commit holds everything they logged. */
    void deleteUpTo(long last) {
        for (Path p : generations(dir)) {
            if (generationOf(p) <= last) {
                delete(p);
            }
        }
    }

    @Override
    public synchronized void close() {
        close(channel);
    }

    private FileChannel open(long gen) {
        Path file = dir.resolve(PREFIX + gen + SUFFIX);
        try {
            boolean created = !Files.exists(file);
            FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (created) {
                // forcing an entry's bytes does not force the file's name into its folder
                org.apache.lucene.util.IOUtils.fsync(dir, true);
            }
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the write-ahead log in " + dir, e);
        }
    }

    private static void close(FileChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + p, e);
        }
    }

    /**
     * Read-side: the log files in {@code dir}, oldest first, by name with their size; nothing is opened for
     * writing. A file the writer drops meanwhile is left out.
     */
    static Map<String, Long> sizes(Path dir) {
        var out = new LinkedHashMap<String, Long>();
        for (Path p : generations(dir)) {
            try {
                out.put(p.getFileName().toString(), Files.size(p));
            } catch (java.nio.file.NoSuchFileException gone) {
                // committed and dropped since it was listed
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the write-ahead log " + p, e);
            }
        }
        return out;
    }

    /**
     * Read-side: every whole entry of the named files of {@code dir}, in order; null when one of them is gone
     * (the writer committed what it held and dropped it meanwhile: read again, beside the newer commit).
     */
    static List<Entry> read(Path dir, Collection<String> names) {
        var out = new ArrayList<Entry>();
        for (String name : names) {
            try {
                replay(dir.resolve(name), out::add);
            } catch (UncheckedIOException e) {
                if (e.getCause() instanceof java.nio.file.NoSuchFileException) {
                    return null;
                }
                throw e;
            }
        }
        return out;
    }

    private static List<Path> generations(Path dir) {
        if (!Files.isDirectory(dir)) {
            return new ArrayList<>();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return new ArrayList<>(files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(PREFIX) && n.endsWith(SUFFIX);
            }).sorted((a, b) -> Long.compare(generationOf(a), generationOf(b))).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long generationOf(Path p) {
        String n = p.getFileName().toString();
        return Long.parseLong(n.substring(PREFIX.length(), n.length() - SUFFIX.length()));
    }

    /** Reads the entries of one file until its end or a torn or corrupt entry. */
    static int replay(Path file, Consumer<Entry> apply) {
        int n = 0;
        try (InputStream raw = Files.newInputStream(file); var in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 16))) {
            while (true) {
                int length;
                long crc;
                try {
                    length = in.readInt();
                    crc = in.readLong();
                } catch (EOFException end) {
                    return n;
                }
                if (length < 0 || length > 64 << 20) {
                    return n;
                }
                byte[] payload = new byte[length];
                try {
                    in.readFully(payload);
                } catch (EOFException torn) {
                    return n;
                }
                var check = new CRC32();
                check.update(payload);
                if (check.getValue() != crc) {
                    return n;
                }
                apply.accept(decode(payload));
                n++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the write-ahead log " + file, e);
        }
    }

    static byte[] encode(Entry e) {
        try {
            var buf = new ByteArrayOutputStream(e instanceof Upsert u ? u.records().size() * 2048 : 1024);
            var out = new DataOutputStream(buf);
            if (e instanceof Upsert u) {
                out.writeByte(UPSERT);
                out.writeInt(u.records().size());
                for (VectorRecord r : u.records()) {
                    writeString(out, r.id());
                    out.writeInt(r.values().length);
                    for (float f : r.values()) {
                        out.writeFloat(f);
                    }
                    writeString(out, JSON.writeValueAsString(r.metadata()));
                }
            } else {
                var d = (Delete) e;
                out.writeByte(DELETE);
                out.writeInt(d.ids().size());
                for (String id : d.ids()) {
                    writeString(out, id);
                }
            }
            out.flush();
            return buf.toByteArray();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    static Entry decode(byte[] payload) {
        try {
            var in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
            byte kind = in.readByte();
            int count = in.readInt();
            if (kind == UPSERT) {
                var records = new ArrayList<VectorRecord>(count);
                for (int i = 0; i < count; i++) {
                    String id = readString(in);
                    float[] values = new float[in.readInt()];
                    for (int j = 0; j < values.length; j++) {
                        values[j] = in.readFloat();
                    }
                    Map<String, Object> metadata = JSON.readValue(readString(in), new TypeReference<LinkedHashMap<String, Object>>() { });
                    records.add(new VectorRecord(id, values, metadata));
                }
                return new Upsert(records);
            }
            var ids = new ArrayList<String>(count);
            for (int i = 0; i < count; i++) {
                ids.add(readString(in));
            }
            return new Delete(ids);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
