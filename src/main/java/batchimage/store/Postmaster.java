package batchimage.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The PostgreSQL server process of a data folder: created (initdb), started with durable settings, found running
 * (postmaster.pid), waited for and stopped. {@link EmbeddedServer} decides when.
 */
final class Postmaster {

    /** What every commit is worth: on disk before it is acknowledged, and a crash never corrupts the files. */
    static final Map<String, String> DURABLE = Map.of(
            "fsync", "on",
            "synchronous_commit", "on",
            "full_page_writes", "on");

    /** The rest of the server's settings: those zonky set, and room for bulk imports (few checkpoints, big buffers). */
    private static final Map<String, String> TUNING = new LinkedHashMap<>();

    static {
        TUNING.put("timezone", "UTC");
        TUNING.put("max_connections", "100");
        TUNING.put("shared_buffers", "1GB");
        TUNING.put("max_wal_size", "4GB");
        TUNING.put("checkpoint_timeout", "15min");
        TUNING.put("wal_buffers", "32MB");
        TUNING.put("maintenance_work_mem", "256MB");
    }

    private static final String LOG = "batch-image-postgres.log";
    private static final long LOG_KEPT_BYTES = 10L << 20;

    private Postmaster() {
    }

    /** postmaster.pid's first line (the server's pid) and fourth (its port), or null when there is none to read. */
    record PidFile(long pid, int port) {
        static PidFile read(Path pgData) {
            try {
                List<String> lines = Files.readAllLines(pgData.resolve("postmaster.pid"));
                return lines.size() < 4 ? null : new PidFile(Long.parseLong(lines.get(0).trim()), Integer.parseInt(lines.get(3).trim()));
            } catch (IOException | NumberFormatException e) {
                return null;
            }
        }
    }

    /** The postmaster that runs on this data folder, whoever started it; empty when none does (a pid file may still be there). */
    static Optional<ProcessHandle> runningOn(Path pgData) {
        PidFile pid = PidFile.read(pgData);
        if (pid == null) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid.pid()).filter(ProcessHandle::isAlive).filter(p -> isPostmasterOf(p, pgData));
    }

    /** Whether a live process is a postgres server of this folder (the pid of a postmaster.pid may now be another program's). */
    private static boolean isPostmasterOf(ProcessHandle p, Path pgData) {
        try {
            // the postmaster works in its data folder
            Path cwd = Files.readSymbolicLink(Path.of("/proc", String.valueOf(p.pid()), "cwd"));
            return cwd.equals(pgData.toRealPath());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // no /proc: its command and its -D
        }
        String command = p.info().command().orElse("");
        String program = Path.of(command.isEmpty() ? "?" : command).getFileName().toString();
        if (!program.equals("postgres") && !program.equals("postgres.exe")) {
            return false;
        }
        String[] args = p.info().arguments().orElse(null);
        if (args == null) {
            return true;
        }
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("-D")) {
                return Path.of(args[i + 1]).toAbsolutePath().normalize().equals(pgData.toAbsolutePath().normalize());
            }
        }
        return false;
    }

    /** Creates a data folder at {@code dir}, which must not exist or be empty. */
    static void initdb(Path dir) throws IOException {
        run(PostgresBinaries.command("initdb", "-A", "trust", "-U", "postgres", "-D", dir.toString(), "-E", "UTF-8"), "initdb");
    }

    /** Starts the server on the folder, with its output appended to {@code batch-image-postgres.log} there. */
    static Process start(Path pgData, int port) throws IOException {
        Path log = pgData.resolve(LOG);
        if (Files.isRegularFile(log) && Files.size(log) > LOG_KEPT_BYTES) {
            Files.move(log, pgData.resolve(LOG + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
        var args = new ArrayList<>(List.of("-D", pgData.toString(), "-p", String.valueOf(port)));
        var settings = new LinkedHashMap<>(TUNING);
        settings.putAll(DURABLE);
        settings.forEach((k, v) -> {
            args.add("-c");
            args.add(k + "=" + v);
        });
        // a file, not a pipe: the server keeps writing its log when this process is gone
        return new ProcessBuilder(PostgresBinaries.command("postgres", args.toArray(String[]::new)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /** Waits until the server answers on its port (crash recovery included), or fails with the end of its log. */
    static void awaitReady(ProcessHandle server, Path pgData, int port, Duration limit) throws IOException {
        var ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"127.0.0.1"});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName("postgres");
        ds.setUser("postgres");
        ds.setConnectTimeout(2);
        ds.setLoginTimeout(5);
        long deadline = System.nanoTime() + limit.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IOException("PostgreSQL ended while starting; its log (" + pgData.resolve(LOG) + ") says: " + logTail(pgData));
            }
            try (Connection c = ds.getConnection(); var st = c.createStatement(); var rs = st.executeQuery("SELECT 1")) {
                return;
            } catch (SQLException e) {
                last = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for PostgreSQL to start", e);
            }
        }
        throw new IOException("PostgreSQL did not answer on port " + port + " within " + limit.toSeconds() + " s ("
                + (last == null ? "" : last.getMessage()) + "); its log says: " + logTail(pgData));
    }

    /** Stops the server of the folder: a fast shutdown (what is committed stays), else an immediate one, else a kill. */
    static void stop(Path pgData, ProcessHandle server) {
        for (String mode : new String[] {"fast", "immediate"}) {
            try {
                run(PostgresBinaries.command("pg_ctl", "stop", "-D", pgData.toString(), "-m", mode, "-w", "-t", "60"), "pg_ctl stop");
            } catch (IOException e) {
                // the next mode, or the kill below
            }
            if (awaitEnd(server, Duration.ofSeconds(30))) {
                return;
            }
        }
        server.destroyForcibly();
        awaitEnd(server, Duration.ofSeconds(30));
    }

    static boolean awaitEnd(ProcessHandle p, Duration limit) {
        try {
            p.onExit().get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            return !p.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    private static void run(List<String> command, String what) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(what + " did not end within 5 minutes: " + said);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + what + " ran", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(what + " failed (exit code " + p.exitValue() + "): " + said);
        }
    }

    static String logTail(Path pgData) {
        try {
            String log = new String(Files.readAllBytes(pgData.resolve(LOG)), StandardCharsets.UTF_8).strip();
            return log.substring(Math.max(0, log.length() - 1500));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
