package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A process for the crash test: upserts into a namespace of a local index, call after call, until it is
 * killed. Before each call it prints {@code TRY <call> <id>:<version>...}, after the call returned
 * {@code ACK <call> <id>:<version>...}; each call adds three records and overwrites an earlier one.
 * Usage: {@code UpsertUntilKilled INDEX_DIR DIMENSION [NAMESPACE]} (default {@value #NAMESPACE}).
 */
public final class UpsertUntilKilled {

    public static final String NAMESPACE = "crash";
    private static final int NEW_PER_CALL = 3;

    private UpsertUntilKilled() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int dimension = Integer.parseInt(args[1]);
        String namespace = args.length > 2 ? args[2] : NAMESPACE;
        // one write per line, so that a kill never leaves half a line that reads as a whole one
        var out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        var versions = new HashMap<String, Integer>();
        try (var index = new LocalPinecone(dir, dimension)) {
            LuceneNamespace ns = index.namespace(namespace, true);
            for (int call = 0; ; call++) {
                var batch = new ArrayList<VectorRecord>();
                for (int i = 0; i < NEW_PER_CALL; i++) {
                    String id = "rec-" + (NEW_PER_CALL * call + i);
                    versions.put(id, 0);
                    batch.add(record(id, 0, dimension));
                }
                if (call > 0) {
                    String earlier = "rec-" + (call * 7 % (NEW_PER_CALL * call));
                    batch.add(record(earlier, versions.merge(earlier, 1, Integer::sum), dimension));
                }
                String ids = describe(batch);
                line(out, "TRY " + call + ids);
                ns.upsert(batch);
                line(out, "ACK " + call + ids);
            }
        }
    }

    private static void line(PrintStream out, String s) {
        out.print(s + "\n");
        out.flush();
    }

    private static String describe(List<VectorRecord> batch) {
        var sb = new StringBuilder();
        for (VectorRecord r : batch) {
            sb.append(' ').append(r.id()).append(':').append(((Number) r.metadata().get("version")).intValue());
        }
        return sb.toString();
    }

    /** The record written for an id at a version: values and metadata follow from both. */
    public static VectorRecord record(String id, int version, int dimension) {
        var rnd = new Random(id.hashCode() * 31L + version);
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("name", id);
        meta.put("version", (double) version);
        meta.put("tags", List.of("t" + Math.floorMod(id.hashCode(), 7), "v" + version));
        meta.put("even", version % 2 == 0);
        meta.put("description", "record " + id + " à la version " + version);
        return new VectorRecord(id, v, meta);
    }
}
