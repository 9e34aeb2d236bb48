package batchimage.ingest;

import batchimage.store.Durably;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Iterator;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.file.GenericFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the ingest route: {@code begin} a file, stream its {@code batches}, {@code store} each,
 * {@code finish}; on any failure {@code fail} rolls the file back, writes {@code <file>.error.txt} and
 * records why. A file is one transaction: it lands whole (records plus rejections) or not at all.
 */
public final class Importer {

    private static final Logger LOG = LoggerFactory.getLogger(Importer.class);
    public static final String JOB = "importJob";
    private static final int LOGGED_REJECTIONS = 50;
    /** "done" or "error": the folder the inbox route moves the file to. */
    public static final String TARGET = "importTarget";

    private final DataSource dataSource;
    private final ImportRuns runs;
    private final ObjectMapper json;
    private final Path errorDir;
    private final String defaultTheme;
    private final long progressNanos;
    private final ImportLeases leases;

    public Importer(DataSource dataSource, ObjectMapper json, Path errorDir, String defaultTheme, int progressSeconds, ImportLeases leases) {
        this.dataSource = dataSource;
        this.runs = new ImportRuns(dataSource);
        this.leases = leases;
        this.json = json;
        this.errorDir = errorDir;
        this.defaultTheme = defaultTheme;
        this.progressNanos = progressSeconds * 1_000_000_000L;
    }

    /**
     * Imports one file through the import-file route of {@code camel}, whatever its folder; the file stays where
     * it is (the inbox route moves what it polls, this does not).
     */
    public static ImportResult importThroughRoute(CamelContext camel, Path file) {
        ProducerTemplate producer = camel.createProducerTemplate();
        try {
            Exchange done = producer.send("direct:import-file", ex -> ex.getMessage().setBody(file.toFile()));
            var job = done.getProperty(JOB, ImportJob.class);
            if (job == null) {
                Throwable t = done.getException() != null ? done.getException()
                        : done.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
                return new ImportResult(file.getFileName().toString(), file.toString(), "error", 0, 0, 0, 0, 0, 0, 0,
                        t == null ? "the import route did not run" : t.getMessage(), null);
            }
            return job.result();
        } finally {
            try {
                producer.stop();
            } catch (Exception e) {
                LOG.debug("stopping a producer: {}", e.toString());
            }
        }
    }

    /** Starts the import of the file in the body (a polled file, a File or a Path). */
    public ImportJob begin(Exchange exchange) throws SQLException, IOException {
        Path file = fileOf(exchange.getMessage().getBody());
        long bytes = Files.size(file);
        long runId = runs.start(file.getFileName().toString(), file.toAbsolutePath().toString(), bytes);
        leases.started(runId);
        var job = new ImportJob(file, bytes, runId);
        exchange.setProperty(JOB, job);
        if (exchange.getMessage().getBody() instanceof GenericFile<?>) {
            // polled from the inbox: its move to done/ or error/ is forced to disk once Camel has made it
            exchange.getExchangeExtension().addOnCompletion(new DurableMove(file.toAbsolutePath().getParent()));
        }
        LOG.info("importing {} ({})", job.fileName, human(bytes));
        job.writer = new LibraryWriter(dataSource, job.fileName);
        return job;
    }

    /** The file's records, {@code batchSize} entries at a time, read as they are consumed. */
    public Iterator<Batch> batches(ImportJob job, int batchSize) throws IOException {
        var mapper = new RecordMapper(json, job.fileName, defaultTheme);
        job.reader = new RecordReader(job.file, json, mapper, batchSize);
        String source = job.fileName;
        job.batches = new ReadAhead<>(job.reader, b -> b.encodedFor(source), job.reader, 2, "read-ahead " + job.fileName);
        return job.batches;
    }

    /** Upserts one batch and writes its rejections, in the file's transaction. */
    public void store(Batch batch, ImportJob job) throws SQLException, IOException {
        // a batch a route step made or changed is encoded here; one straight from the reader came encoded
        LibraryWriter.Written w = batch.encoded() != null
                ? job.writer.write(batch.encoded(), batch.rejections())
                : job.writer.write(batch.records(), batch.rejections());
        job.read += batch.entries();
        job.bytesRead = batch.bytesRead();
        job.inserted += w.inserted();
        job.updated += w.updated();
        job.unchanged += w.unchanged();
        job.superseded += w.superseded();
        job.rejected += w.rejected();
        long logged = job.rejected - w.rejected();
        for (Rejection r : batch.rejections()) {
            if (++logged <= LOGGED_REJECTIONS) {
                LOG.warn("{}: rejected {}", job.fileName, r.describe());
            } else if (logged == LOGGED_REJECTIONS + 1) {
                LOG.warn("{}: more rejections are not logged; all of them are in dead_letter", job.fileName);
            }
        }
        long now = System.nanoTime();
        if (now - job.lastProgressNanos >= progressNanos) {
            job.lastProgressNanos = now;
            LOG.info(progress(job, now));
        }
    }

    static String progress(ImportJob job, long now) {
        double secs = (now - job.startNanos) / 1e9;
        double rate = job.read / Math.max(secs, 1e-3);
        long at = job.bytesRead;
        double fraction = job.fileBytes == 0 ? 1 : Math.min(1.0, (double) at / job.fileBytes);
        double left = fraction <= 0 ? Double.NaN : secs / fraction - secs;
        return String.format("%s: %,d records so far (%.0f%% of %s), %,.0f records/s, about %.0f s left",
                job.fileName, job.read, fraction * 100, human(job.fileBytes), rate, left);
    }

    /**
     * Commits the file with its outcome: the run is recorded done in the file's own transaction, so that the records
     * and the run that says they are stored land together or not at all (a crash leaves a running run and no records).
     */
    public ImportResult finish(Exchange exchange) throws SQLException, IOException {
        ImportJob job = exchange.getProperty(JOB, ImportJob.class);
        job.seconds = (System.nanoTime() - job.startNanos) / 1e9;
        job.writer.commit(c -> ImportRuns.finish(c, job.runId, job.seconds, "done", job.counts(), null));
        job.outcome = ImportJob.Outcome.DONE;
        leases.ended(job.runId);
        job.writer.close();
        job.batches.close();
        exchange.setProperty(TARGET, job.target());
        LOG.info(String.format("imported %s: %,d read, %,d inserted, %,d updated, %,d unchanged, %,d rejected, %,d superseded in %.1f s (%,.0f records/s)",
                job.fileName, job.read, job.inserted, job.updated, job.unchanged, job.rejected, job.superseded,
                job.seconds, job.read / Math.max(job.seconds, 1e-3)));
        return job.result();
    }

    /** Rolls the file back, writes its report into error/ and records the failure. Never throws. */
    public ImportResult fail(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (cause == null) {
            cause = exchange.getException();
        }
        ImportJob job = exchange.getProperty(JOB, ImportJob.class);
        String problem = describe(cause);
        if (isDatabaseUnavailable(cause)) {
            // not the file's fault: leave it where it is; the inbox picks it up again on a later poll
            if (job != null) {
                closeQuietly(job);
                job.outcome = ImportJob.Outcome.ERROR;
                job.error = "the database is unavailable, the file was left for a later attempt: " + problem;
                job.seconds = (System.nanoTime() - job.startNanos) / 1e9;
                // nothing of it was stored; its run is closed once the database is back
                leases.closeLater(job.runId, job.seconds, job.read, "interrupted: " + job.error);
            }
            LOG.warn("cannot import {} now, the database is unavailable ({}); it stays in place and is tried again",
                    job == null ? exchange.getMessage().getHeader(Exchange.FILE_NAME) : job.fileName, problem);
            return job == null ? null : job.result();
        }
        exchange.setProperty(TARGET, "error");
        if (job == null) {
            // the file could not even be opened; nothing was started
            LOG.error("cannot import {}: {}", exchange.getMessage().getHeader(Exchange.FILE_NAME), problem);
            return null;
        }
        if (job.outcome == ImportJob.Outcome.ERROR) {
            return job.result();
        }
        job.outcome = ImportJob.Outcome.ERROR;
        job.error = problem;
        job.seconds = (System.nanoTime() - job.startNanos) / 1e9;
        long readBefore = job.reader == null ? job.read : job.reader.entriesRead();
        closeQuietly(job);
        String report = report(job, cause, readBefore);
        try {
            Files.createDirectories(errorDir);
            job.report = errorDir.resolve(job.fileName + ".error.txt");
            // on disk before the file moves beside it
            Durably.writeString(job.report, report);
        } catch (IOException e) {
            LOG.error("cannot write the error report for {} into {}: {}", job.fileName, errorDir, e.toString());
        }
        try {
            runs.finish(job.runId, job.seconds, "error", new ImportRuns.Counts(job.read, 0, 0, 0, 0, 0), problem);
            runs.fileFailed(job.fileName, problem, report);
            leases.ended(job.runId);
        } catch (SQLException e) {
            LOG.error("cannot record the failed import of {}: {}", job.fileName, e.toString());
            leases.closeLater(job.runId, job.seconds, job.read, "error: " + problem);
        }
        LOG.error("could not import {}: {} (nothing from it was stored; report: {})", job.fileName, problem, job.report);
        return job.result();
    }

    private static void closeQuietly(ImportJob job) {
        if (job.writer != null) {
            job.writer.rollback();
            try {
                job.writer.close();
            } catch (SQLException e) {
                LOG.debug("closing the connection of a failed import: {}", e.toString());
            }
        }
        if (job.batches != null) {
            try {
                job.batches.close();
            } catch (IOException e) {
                LOG.debug("closing a failed file: {}", e.toString());
            }
        }
    }

    /** For the route's error handling: whether the exchange failed because the database is unavailable. */
    public boolean databaseUnavailable(Exchange exchange) {
        Throwable t = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        return isDatabaseUnavailable(t);
    }

    /** A lost or refused connection (SQLSTATE class 08, server shutting down 57P, pool timeout): a retry may work. */
    static boolean isDatabaseUnavailable(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
            if (t instanceof BatchFileException) {
                return false;
            }
        }
        return false;
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown failure";
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof BatchFileException bfe) {
                return bfe.detail();
            }
            if (t instanceof SQLException sql) {
                return "the database refused the file: " + sql.getMessage();
            }
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    private static String report(ImportJob job, Throwable cause, long readBefore) {
        var sb = new StringBuilder();
        sb.append("batch-image could not import ").append(job.fileName).append("\n\n");
        sb.append("file:      ").append(job.file.toAbsolutePath()).append('\n');
        sb.append("size:      ").append(human(job.fileBytes)).append(" (").append(job.fileBytes).append(" bytes)\n");
        sb.append("when:      ").append(Instant.now()).append('\n');
        if (cause instanceof BatchFileException bfe) {
            sb.append("problem:   ").append(bfe.problem()).append('\n');
            if (bfe.line() > 0) {
                sb.append("where:     line ").append(bfe.line()).append(", column ").append(bfe.column());
                if (bfe.where() != null) {
                    sb.append(", while reading ").append(bfe.where());
                }
                sb.append('\n');
            }
        } else {
            sb.append("problem:   ").append(describe(cause)).append('\n');
        }
        sb.append("read:      ").append(readBefore).append(" complete entries read before the problem\n");
        sb.append("stored:    nothing from this file (a file is imported whole or not at all)\n\n");
        sb.append("What to do: fix the file (or export it again) and drop it into the inbox once more.\n");
        return sb.toString();
    }

    static Path fileOf(Object body) {
        if (body instanceof GenericFile<?> gf) {
            Object f = gf.getFile();
            return f instanceof File file ? file.toPath() : Path.of(gf.getAbsoluteFilePath());
        }
        if (body instanceof File f) {
            return f.toPath();
        }
        if (body instanceof Path p) {
            return p;
        }
        if (body instanceof String s) {
            return Path.of(s);
        }
        throw new IllegalArgumentException("the import route needs a file, found " + (body == null ? "nothing" : body.getClass().getName()));
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format("%.1f MB", bytes / (1024.0 * 1024));
        }
        return String.format("%.2f GB", bytes / (1024.0 * 1024 * 1024));
    }
}
