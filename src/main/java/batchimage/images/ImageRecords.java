package batchimage.images;

import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** Reads where a record's image is ({@code image_library.file_path}). */
public final class ImageRecords {

    private static final String FILE_PATH = "SELECT file_path FROM image_library WHERE id = ?";

    private final DataSource dataSource;

    public ImageRecords(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A record and its file_path (null when it has none yet). */
    public record Stored(UUID id, String filePath) {
    }

    /** The record, whatever its status; empty when there is no record with this id. */
    public Optional<Stored> find(UUID id) {
        try (var c = dataSource.getConnection(); var ps = c.prepareStatement(FILE_PATH)) {
            ps.setObject(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Stored(id, rs.getString(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the file_path of record " + id + ": " + e.getMessage(), e);
        }
    }
}
