import batchimage.ingest.Batch;
import batchimage.ingest.ImageRecord;
import batchimage.ingest.RecordMapper;
import batchimage.ingest.RecordReader;
import batchimage.store.Database;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The baseline of bench/import.sh: the same rows, parsed the same way, loaded with one COPY into a
 * staging table and one INSERT ... ON CONFLICT into image_library, in one transaction. Prints seconds.
 * Usage: ImportBaseline DATA_DIR FILE
 */
public final class ImportBaseline {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path file = Path.of(args[1]);
        var json = new ObjectMapper();
        try (Database db = Database.open("", data, 2)) {
            long t0 = System.nanoTime();
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute("DROP TABLE IF EXISTS baseline_staging");
                    st.execute("CREATE UNLOGGED TABLE baseline_staging (id uuid, name text, file_path text, prompt text,"
                            + " description text, theme text, sub_theme text, extra jsonb, source_file text)");
                }
                CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY baseline_staging FROM STDIN");
                var reader = new RecordReader(file, json, new RecordMapper(json, file.getFileName().toString(), ""), 5000);
                var buf = new ByteArrayOutputStream(1 << 22);
                long rows = 0;
                while (reader.hasNext()) {
                    Batch b = reader.next();
                    buf.reset();
                    for (ImageRecord r : b.records()) {
                        line(buf, r, file.getFileName().toString());
                        rows++;
                    }
                    byte[] bytes = buf.toByteArray();
                    copy.writeToCopy(bytes, 0, bytes.length);
                }
                copy.endCopy();
                long copied = System.nanoTime();
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("""
                            INSERT INTO image_library AS t (id, name, file_path, prompt, description, theme, sub_theme, extra, source_file)
                            SELECT id, name, file_path, prompt, description, theme, sub_theme, extra, source_file FROM baseline_staging
                            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, file_path = EXCLUDED.file_path,
                              prompt = EXCLUDED.prompt, description = EXCLUDED.description, theme = EXCLUDED.theme,
                              sub_theme = EXCLUDED.sub_theme, extra = EXCLUDED.extra
                            """);
                }
                try (Statement st = c.createStatement()) {
                    st.execute("DROP TABLE baseline_staging");
                }
                c.commit();
                long end = System.nanoTime();
                System.out.printf("baseline rows=%d copy_s=%.2f insert_s=%.2f total_s=%.2f%n",
                        rows, (copied - t0) / 1e9, (end - copied) / 1e9, (end - t0) / 1e9);
            }
        }
    }

    private static void line(ByteArrayOutputStream out, ImageRecord r, String source) {
        String[] f = {r.id().toString(), r.name(), r.filePath(), r.prompt(), r.description(), r.theme(), r.subTheme(), r.extraJson(), source};
        for (int i = 0; i < f.length; i++) {
            if (i > 0) {
                out.write('\t');
            }
            if (f[i] == null) {
                out.write('\\');
                out.write('N');
            } else {
                String e = f[i].replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
                out.writeBytes(e.getBytes(StandardCharsets.UTF_8));
            }
        }
        out.write('\n');
    }
}
