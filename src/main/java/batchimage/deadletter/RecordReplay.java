package batchimage.deadletter;

import batchimage.ingest.ImageRecord;
import batchimage.ingest.LibraryWriter;
import batchimage.ingest.RecordMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** Replays a dead letter of stage {@code ingest}: the record (as read, or as corrected by the user) is mapped and upserted as the import does. */
final class RecordReplay {

    private final DataSource dataSource;
    private final String defaultTheme;
    private final ObjectMapper json;

    /** {@code defaultTheme}: {@code ingest.default-theme}, as the import maps records. */
    RecordReplay(DataSource dataSource, String defaultTheme, ObjectMapper json) {
        this.dataSource = dataSource;
        this.defaultTheme = defaultTheme;
        this.json = json;
    }

    Map<String, Object> replay(Connection c, LockedLetter d, JsonNode corrected) throws SQLException {
        String correctedText = corrected == null ? null : corrected.toString();
        JsonNode record;
        if (corrected != null) {
            record = corrected;
        } else {
            try {
                record = d.raw() == null ? null : json.readTree(d.raw());
            } catch (JsonProcessingException e) {
                record = null;
            }
        }
        if (record == null || !record.isObject()) {
            String why = "the entry as read is " + (record == null ? "not JSON" : RecordMapper.kind(record))
                    + ", not a record object: replay it with a corrected record ({\"record\": {...}}, or --record) or dismiss it";
            return d.stillOpen(c, why, null, correctedText, null, null);
        }
        var fields = new LinkedHashMap<String, Object>();
        record.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            // as the import reads a record: text as String, null as null, anything else as a tree
            fields.put(e.getKey(), v.isNull() ? null : v.isTextual() ? v.textValue() : v);
        });
        String file = d.sourceFile() == null ? "" : d.sourceFile();
        String subTheme = d.subTheme() == null ? "" : d.subTheme();
        int position = d.position() == null ? 0 : Math.max(0, d.position());
        var mapped = new RecordMapper(json, file, defaultTheme).map(subTheme, position, fields);
        if (mapped.rejection() != null) {
            var r = mapped.rejection();
            return d.stillOpen(c, r.reason(), r.field(), correctedText, null, r.recordId());
        }
        ImageRecord rec = mapped.record();
        LibraryWriter.Written w;
        try (LibraryWriter writer = LibraryWriter.forReplay(dataSource, d.sourceFile())) {
            w = writer.write(List.of(rec), List.of());
            writer.commit();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write record " + rec.id() + ": " + e.getMessage(), e);
        }
        String written = w.inserted() > 0 ? "inserted" : w.updated() > 0 ? "updated" : "unchanged";
        String message = "record " + rec.id() + " " + written + " in image_library"
                + (written.equals("unchanged") ? " (it was already there as given)" : ", pending for the index route")
                + (corrected == null ? "" : ", from the corrected record");
        d.replayed(c, message, correctedText, rec.id().toString());
        var out = d.answer("replayed", message);
        out.put("record_id", rec.id().toString());
        out.put("written", written);
        out.put("corrected", corrected != null);
        return out;
    }
}
