package batchimage.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The embedding model and vector size the library's vectors were made with (table index_model), so that a
 * process started with another model notices: the first process to index records its model; a full
 * reindex records the model it re-embeds with.
 */
public final class ModelRecord {

    /** What index_model holds: the model, its vector size, and the full reindex under way or last done. */
    public record Model(String model, int dimensions, java.time.OffsetDateTime fullStartedAt, java.time.OffsetDateTime fullFinishedAt,
                        long fullQueued) {
    }

    private final DataSource dataSource;

    public ModelRecord(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The recorded model, or null when nothing was recorded yet. */
    public Model read() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT model, dimensions, full_started_at, full_finished_at, full_queued FROM index_model");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? new Model(rs.getString(1), rs.getInt(2), rs.getObject(3, java.time.OffsetDateTime.class),
                    rs.getObject(4, java.time.OffsetDateTime.class), rs.getLong(5)) : null;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the model the library's vectors were made with: " + e.getMessage(), e);
        }
    }

    /** Records the model when none is recorded yet (the first process to index); returns what is recorded now. */
    public Model recordIfAbsent(String model, int dimensions) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO index_model (model, dimensions) VALUES (?, ?) ON CONFLICT (one) DO NOTHING")) {
            ps.setString(1, model);
            ps.setInt(2, dimensions);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the model of the library's vectors: " + e.getMessage(), e);
        }
        return read();
    }

    /** Records this model in place of any other unless a full reindex is under way: for a library whose namespaces hold no vector. */
    public Model replaceUnlessReindexing(String model, int dimensions) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO index_model (model, dimensions) VALUES (?, ?)
                ON CONFLICT (one) DO UPDATE SET model = excluded.model, dimensions = excluded.dimensions, recorded_at = now()
                WHERE index_model.full_started_at IS NULL OR index_model.full_finished_at IS NOT NULL
                """)) {
            ps.setString(1, model);
            ps.setInt(2, dimensions);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the model of the library's vectors: " + e.getMessage(), e);
        }
        return read();
    }

    /** A full reindex starts: from now on the library's vectors are (being) made with this model. */
    public void fullReindexStarted(Connection c, String model, int dimensions, long queued) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO index_model (model, dimensions, recorded_at, full_started_at, full_finished_at, full_queued)
                VALUES (?, ?, now(), now(), NULL, ?)
                ON CONFLICT (one) DO UPDATE SET model = excluded.model, dimensions = excluded.dimensions, recorded_at = now(),
                    full_started_at = now(), full_finished_at = NULL, full_queued = excluded.full_queued
                """)) {
            ps.setString(1, model);
            ps.setInt(2, dimensions);
            ps.setLong(3, queued);
            ps.executeUpdate();
        }
    }

    /** Marks the full reindex under way finished when no active record waits to be indexed; returns whether it is finished. */
    public boolean finishFullReindexIfDone() {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE index_model SET full_finished_at = now()
                WHERE full_started_at IS NOT NULL AND full_finished_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM image_library WHERE status = 'active' AND index_state IN ('pending', 'indexing'))
                """)) {
            return ps.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot update the full reindex's state: " + e.getMessage(), e);
        }
    }

    /**
     * What a user should know when this process's model is not the one the vectors were made with but has
     * their size (search would compare vectors of two models), or null.
     */
    public static String sameSizeNotice(Model recorded, String model, int dimensions) {
        if (recorded == null || recorded.model().equals(model) || recorded.dimensions() != dimensions) {
            return null;
        }
        return "the library's vectors were made with the model " + recorded.model() + " but this process embeds with " + model
                + " (both " + dimensions + " dimensions): new and changed records get vectors of " + model
                + " while the others keep those of " + recorded.model() + ", and search compares them as if they were alike."
                + " Run a full reindex to embed every record again with " + model
                + " (bin/batch-image reindex --full, or POST /api/reindex {\"mode\": \"full\"}); search keeps answering meanwhile";
    }
}
