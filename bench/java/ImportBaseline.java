import batchimage.ingest.Batch;
import batchimage.ingest.ImageRecord;
import batchimage.ingest.RecordMapper;
import batchimage.ingest.RecordReader;
import batchimage.store.Database;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashSet;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The baseline of bench/import.sh: what PostgreSQL itself takes to load the rows of a batch file, with nothing of
 * batch-image in the way. Two steps:
 * <pre>
 *   ImportBaseline prepare FILE ROWS      the file's rows as COPY text, once, beforehand (not timed): the old scripts'
 *                                         8 columns id, name, file_path, prompt, description, theme, sub_theme, status
 *   ImportBaseline load DATA_DIR ROWS     on the embedded PostgreSQL of DATA_DIR (the server the import uses, with its
 *                                         settings), into a fresh plain table of those 8 columns with a primary key:
 *                                         in one transaction, COPY into a staging table and one INSERT ... ON CONFLICT.
 *                                         Timed from the client, from BEGIN to the acknowledged COMMIT; prints seconds
 * </pre>
 * The table is created before the clock starts and dropped after it stops.
 */
public final class ImportBaseline {

    private static final String COLUMNS = "id uuid, name text, file_path text, prompt text, description text, theme text, sub_theme text, status text";

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "prepare" -> prepare(Path.of(args[1]), Path.of(args[2]));
            case "load" -> load(Path.of(args[1]), Path.of(args[2]));
            default -> throw new IllegalArgumentException("usage: ImportBaseline prepare FILE ROWS | load DATA_DIR ROWS");
        }
    }

    /** The rows as COPY text: the records as batch-image maps them, the last of several with one id. */
    private static void prepare(Path file, Path rows) throws Exception {
        var json = new ObjectMapper();
        var seen = new HashSet<UUID>();
        long n = 0;
        try (var reader = new RecordReader(file, json, new RecordMapper(json, file.getFileName().toString(), ""), 5000);
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(rows), 1 << 20)) {
            while (reader.hasNext()) {
                Batch b = reader.next();
                for (ImageRecord r : b.records()) {
                    if (!seen.add(r.id())) {
                        throw new IllegalStateException("the baseline needs distinct ids; " + r.id() + " is there twice");
                    }
                    line(out, r);
                    n++;
                }
            }
        }
        System.out.printf("prepared rows=%d bytes=%d%n", n, Files.size(rows));
    }

    private static void load(Path data, Path rows) throws Exception {
        try (Database db = Database.open("", data, 2); Connection c = db.dataSource().getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS baseline_library");
                st.execute("CREATE TABLE baseline_library (id uuid PRIMARY KEY, name text, file_path text, prompt text,"
                        + " description text, theme text, sub_theme text, status text)");
            }
            c.setAutoCommit(false);
            long t0 = System.nanoTime();
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE baseline_staging (" + COLUMNS + ") ON COMMIT DROP");
            }
            CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY baseline_staging FROM STDIN");
            byte[] buf = new byte[1 << 20];
            try (InputStream in = Files.newInputStream(rows)) {
                for (int k; (k = in.read(buf)) > 0; ) {
                    copy.writeToCopy(buf, 0, k);
                }
            }
            long copied = copy.endCopy();
            long t1 = System.nanoTime();
            long inserted;
            try (Statement st = c.createStatement()) {
                inserted = st.executeUpdate("""
                        INSERT INTO baseline_library AS t SELECT * FROM baseline_staging
                        ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, file_path = EXCLUDED.file_path,
                          prompt = EXCLUDED.prompt, description = EXCLUDED.description, theme = EXCLUDED.theme,
                          sub_theme = EXCLUDED.sub_theme, status = EXCLUDED.status
                        """);
            }
            c.commit();
            long end = System.nanoTime();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("DROP TABLE baseline_library");
            }
            System.out.printf("baseline rows=%d inserted=%d copy_s=%.2f insert_s=%.2f total_s=%.2f%n",
                    copied, inserted, (t1 - t0) / 1e9, (end - t1) / 1e9, (end - t0) / 1e9);
        }
    }

    private static void line(OutputStream out, ImageRecord r) throws Exception {
        String[] f = {r.id().toString(), r.name(), r.filePath(), r.prompt(), r.description(), r.theme(), r.subTheme(), "active"};
        for (int i = 0; i < f.length; i++) {
            if (i > 0) {
                out.write('\t');
            }
            if (f[i] == null) {
                out.write('\\');
                out.write('N');
            } else {
                String e = f[i].replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
                out.write(e.getBytes(StandardCharsets.UTF_8));
            }
        }
        out.write('\n');
    }
}
