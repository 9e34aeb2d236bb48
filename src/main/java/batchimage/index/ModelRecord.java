package batchimage.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import javax.sql.DataSource;

/**
 * The embedding model and vector size the library's live vectors were made with, the generation of the
 * namespaces that holds them, and the generation a full reindex is building (table index_model). The first
 * process to index records its model; a process started with another notices; a full reindex builds a new
 * generation with its model and switches to it when every record is in it.
 */
public final class ModelRecord {

    /** What index_model holds. {@code building}: the generation a full reindex is building, or null. */
    public record Model(String model, int dimensions, int generation, Integer building, String buildingModel, int buildingDimensions,
                        OffsetDateTime fullStartedAt, OffsetDateTime fullFinishedAt, long fullQueued) {
    }

    private static final String READ = """
            SELECT model, dimensions, generation, building_generation, building_model, coalesce(building_dimensions, 0),
                   full_started_at, full_finished_at, coalesce(full_queued, 0)
            FROM index_model""";

    private final DataSource dataSource;

    public ModelRecord(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The recorded model, or null when nothing was recorded yet. */
    public Model read() {
        try (Connection c = dataSource.getConnection()) {
            return read(c);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the model the library's vectors were made with: " + e.getMessage(), e);
        }
    }

    public static Model read(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(READ); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            return new Model(rs.getString(1), rs.getInt(2), rs.getInt(3), (Integer) rs.getObject(4), rs.getString(5), rs.getInt(6),
                    rs.getObject(7, OffsetDateTime.class), rs.getObject(8, OffsetDateTime.class), rs.getLong(9));
        }
    }

    /** Records the model when none is recorded yet (the first process to index); returns what is recorded now. */
    public Model recordIfAbsent(String model, int dimensions) {
        return write("INSERT INTO index_model (model, dimensions) VALUES (?, ?) ON CONFLICT (one) DO NOTHING", model, dimensions);
    }

    /** Records this model in place of any other unless a full reindex is under way: for a library whose index holds no vector. */
    public Model replaceUnlessReindexing(String model, int dimensions) {
        return write("""
                INSERT INTO index_model (model, dimensions) VALUES (?, ?)
                ON CONFLICT (one) DO UPDATE SET model = excluded.model, dimensions = excluded.dimensions, recorded_at = now()
                WHERE index_model.building_generation IS NULL
                  AND (index_model.full_started_at IS NULL OR index_model.full_finished_at IS NOT NULL)
                """, model, dimensions);
    }

    private Model write(String sql, String model, int dimensions) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, model);
            ps.setInt(2, dimensions);
            ps.executeUpdate();
            return read(c);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the model of the library's vectors: " + e.getMessage(), e);
        }
    }

    /**
     * A full reindex rebuilds the live generation in place (the app's own index, emptied for a model of another
     * size): from now on the live vectors are this model's.
     */
    public void rebuildStarted(Connection c, String model, int dimensions, long queued) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO index_model (model, dimensions, full_started_at, full_queued) VALUES (?, ?, now(), ?)
                ON CONFLICT (one) DO UPDATE SET model = excluded.model, dimensions = excluded.dimensions, recorded_at = now(),
                    building_generation = NULL, building_model = NULL, building_dimensions = NULL,
                    full_started_at = now(), full_finished_at = NULL, full_queued = excluded.full_queued
                """)) {
            ps.setString(1, model);
            ps.setInt(2, dimensions);
            ps.setLong(3, queued);
            ps.executeUpdate();
        }
    }

    /**
     * A full reindex builds a new generation with this model beside the live one (which search keeps using);
     * answers the generation being built. {@code live}: the model to record as live when none was recorded.
     */
    public int buildStarted(Connection c, String liveModel, int liveDimensions, String model, int dimensions, long queued) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO index_model (model, dimensions) VALUES (?, ?) ON CONFLICT (one) DO NOTHING""")) {
            ps.setString(1, liveModel);
            ps.setInt(2, liveDimensions);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE index_model SET building_generation = generation + 1, building_model = ?, building_dimensions = ?,
                    full_started_at = now(), full_finished_at = NULL, full_queued = ?
                RETURNING building_generation""")) {
            ps.setString(1, model);
            ps.setInt(2, dimensions);
            ps.setLong(3, queued);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Ends the full reindex under way when no active record waits to be indexed: a generation being built
     * becomes the live one (with its model). Answers the model record as it was before, when this call ended
     * it (the caller removes the old generation's vectors), else null.
     */
    public Model finishIfDone() {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Model before = read(c);
                if (before == null || before.fullStartedAt() == null || before.fullFinishedAt() != null) {
                    return null;
                }
                try (PreparedStatement ps = c.prepareStatement("""
                        UPDATE index_model SET full_finished_at = now(),
                            generation = coalesce(building_generation, generation), model = coalesce(building_model, model),
                            dimensions = CASE WHEN building_generation IS NULL THEN dimensions ELSE building_dimensions END,
                            recorded_at = CASE WHEN building_generation IS NULL THEN recorded_at ELSE now() END,
                            building_generation = NULL, building_model = NULL, building_dimensions = NULL
                        WHERE full_started_at = ? AND full_finished_at IS NULL
                          AND NOT EXISTS (SELECT 1 FROM image_library WHERE status = 'active' AND index_state IN ('pending', 'indexing'))
                        """)) {
                    ps.setObject(1, before.fullStartedAt());
                    boolean ended = ps.executeUpdate() > 0;
                    c.commit();
                    return ended ? before : null;
                }
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot update the full reindex's state: " + e.getMessage(), e);
        }
    }

    /**
     * What a user should know when this process's model is not the one the live vectors were made with but has
     * their size (and no full reindex is building with it), or null.
     */
    public static String sameSizeNotice(Model recorded, String model, int dimensions) {
        if (recorded == null || recorded.model().equals(model) || recorded.dimensions() != dimensions || model.equals(recorded.buildingModel())) {
            return null;
        }
        return "the library's vectors were made with the model " + recorded.model() + " but this process embeds with " + model
                + " (both " + dimensions + " dimensions): search embeds its queries with " + recorded.model() + " to match them, and new"
                + " and changed records get vectors of " + model + " that compare badly with those queries."
                + " Run a full reindex to embed every record again with " + model
                + " (bin/batch-image reindex --full, or POST /api/reindex {\"mode\": \"full\"}); search answers from the present vectors until it is done";
    }
}
