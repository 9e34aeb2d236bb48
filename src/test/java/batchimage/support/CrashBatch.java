package batchimage.support;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A batch file of any size with the record shape of make_batch.py ({@code task_id, prompt, file_name, tags, file_path}
 * under sub-theme keys), written as a stream: deterministic ids, and a prompt per record no other record has.
 */
public final class CrashBatch {

    private static final String[] SUBJECTS = {"lighthouse", "fox", "tram", "orchard", "glacier", "violin", "harbour", "owl"};
    private static final String[] SUB_THEMES = {"LANDSCAPE", "ANIMAL", "VEHICLE", "OTHER"};

    private CrashBatch() {
    }

    public static UUID id(String theme, int i) {
        return UUID.nameUUIDFromBytes((theme + "/" + i).getBytes(StandardCharsets.UTF_8));
    }

    public static String prompt(String theme, int i) {
        return "record " + i + " of " + theme + ": a " + SUBJECTS[i % SUBJECTS.length] + " at dusk, oil painting, detailed";
    }

    /** Writes {@code batch_image_data_<theme>_final.json} with {@code n} records into {@code dir} (elsewhere than an inbox: move it there whole). */
    public static Path write(Path dir, String theme, int n) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("batch_image_data_" + theme + "_final.json");
        try (JsonGenerator g = new ObjectMapper().getFactory().createGenerator(file.toFile(), JsonEncoding.UTF8)) {
            g.writeStartObject();
            int per = (n + SUB_THEMES.length - 1) / SUB_THEMES.length;
            for (int s = 0, i = 0; s < SUB_THEMES.length; s++) {
                g.writeArrayFieldStart(SUB_THEMES[s]);
                for (int k = 0; k < per && i < n; k++, i++) {
                    g.writeStartObject();
                    g.writeStringField("task_id", id(theme, i).toString());
                    g.writeStringField("prompt", prompt(theme, i));
                    g.writeStringField("file_name", theme + "_" + i + ".png");
                    g.writeStringField("tags", SUBJECTS[i % SUBJECTS.length] + ", dusk, tag" + (i % 50));
                    g.writeStringField("file_path", "");
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        return file;
    }
}
