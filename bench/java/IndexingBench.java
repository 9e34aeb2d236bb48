import batchimage.index.IndexTexts;
import batchimage.ingest.Batch;
import batchimage.ingest.ImageRecord;
import batchimage.ingest.RecordMapper;
import batchimage.ingest.RecordReader;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The texts of bench/indexing.sh: what the index route embeds for a batch file (each record's prompt text and its
 * tags), written one per line (backslash and newline escaped) for the baseline, {@link Langchain4jIndexing}.
 * Usage: IndexingBench FILE TEXTS. Prints records and texts.
 */
public final class IndexingBench {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        var json = new ObjectMapper();
        int records = 0;
        int texts = 0;
        try (var reader = new RecordReader(file, json, new RecordMapper(json, file.getFileName().toString(), ""), 2000);
             BufferedWriter out = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
            while (reader.hasNext()) {
                Batch b = reader.next();
                for (ImageRecord r : b.records()) {
                    records++;
                    String p = IndexTexts.promptText(r.prompt());
                    if (!p.isEmpty()) {
                        out.write(escape(p));
                        out.newLine();
                        texts++;
                    }
                    if (r.description() != null && !r.description().isBlank()) {
                        out.write(escape(r.description().strip()));
                        out.newLine();
                        texts++;
                    }
                }
            }
        }
        System.out.printf("records=%d%ntexts=%d%n", records, texts);
        System.exit(0);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n");
    }
}

/**
 * The baseline of bench/indexing.sh, in a JVM of its own on langchain4j's class path (no class of the app):
 * langchain4j 1.20's all-MiniLM-L6-v2 (quantized) {@code embedAll} of every text, as a user would embed them
 * in-process. Usage: Langchain4jIndexing TEXTS. Prints texts and seconds (the model loaded and warmed first).
 */
final class Langchain4jIndexing {
    public static void main(String[] args) throws Exception {
        var segments = new java.util.ArrayList<dev.langchain4j.data.segment.TextSegment>();
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            segments.add(dev.langchain4j.data.segment.TextSegment.from(unescape(line)));
        }
        var model = new dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel();
        model.embedAll(segments.subList(0, Math.min(128, segments.size())));
        long t0 = System.nanoTime();
        int got = model.embedAll(segments).content().size();
        double s = (System.nanoTime() - t0) / 1e9;
        if (got != segments.size()) {
            throw new IllegalStateException(got + " vectors for " + segments.size());
        }
        System.out.printf("texts=%d%nbaseline_seconds=%.1f%n", got, s);
        System.exit(0);
    }

    private static String unescape(String s) {
        var sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                sb.append(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
