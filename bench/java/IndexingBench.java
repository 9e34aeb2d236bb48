import batchimage.embed.LocalModels;
import batchimage.index.IndexTexts;
import batchimage.ingest.Batch;
import batchimage.ingest.ImageRecord;
import batchimage.ingest.RecordMapper;
import batchimage.ingest.RecordReader;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The baseline of bench/indexing.sh: the texts the index route embeds for a batch file (each record's
 * prompt text and its tags), embedded by the same local model in-process, 64 at a time.
 * Usage: IndexingBench FILE. Prints records, texts and records per second.
 */
public final class IndexingBench {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        var json = new ObjectMapper();
        var reader = new RecordReader(file, json, new RecordMapper(json, file.getFileName().toString(), ""), 2000);
        var texts = new ArrayList<String>();
        int records = 0;
        while (reader.hasNext()) {
            Batch b = reader.next();
            for (ImageRecord r : b.records()) {
                records++;
                String p = IndexTexts.promptText(r.prompt());
                if (!p.isEmpty()) {
                    texts.add(p);
                }
                if (r.description() != null && !r.description().isBlank()) {
                    texts.add(r.description().strip());
                }
            }
        }
        var models = new LocalModels();
        models.warmUp(LocalModels.MINILM);
        long t0 = System.nanoTime();
        for (int i = 0; i < texts.size(); i += 64) {
            List<String> part = texts.subList(i, Math.min(texts.size(), i + 64));
            models.embed(LocalModels.MINILM, part);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("records=%d%ntexts=%d%nraw_seconds=%.1f%nraw_records_per_s=%.1f%n", records, texts.size(), secs, records / secs);
        System.exit(0);
    }
}
