package batchimage.store;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL of a data folder ({@code <data>/postgres}). The first process to open the folder owns
 * it: it holds {@code epg-lock} (a file lock, which the operating system drops with its process however that
 * ends), starts the server with durable settings, starts it again should it stop, and stops it at close. Another
 * process (the command line beside a service) joins the owner's server. A server left running with no owner (its
 * process was killed) is stopped and started again by the next owner, which says so in one log line.
 */
public final class EmbeddedServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);
    private static final String LOCK = "epg-lock";
    /** What a folder that never held a server may hold: an earlier version's lock file and this one's log. */
    private static final Set<String> NOT_DATA = Set.of(LOCK, "batch-image-postgres.log", "batch-image-postgres.log.1");
    private static final Duration JOIN_WAIT = Duration.ofSeconds(60);

    /**
     * The folders an instance in this JVM owns. JVM-wide on purpose: a file lock belongs to the whole JVM, and
     * closing any channel of the lock file here, even one that found it taken, would drop the owner's lock.
     */
    private static final Map<Path, EmbeddedServer> OWNED = new HashMap<>();
    /** Channels of lock files held by something else in this JVM, never closed (see {@link #OWNED}). */
    private static final List<FileChannel> KEPT_OPEN = new ArrayList<>();

    private final Path pgData;
    private final Duration startupWait;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile int port;
    private volatile Process server;
    private volatile boolean closing;
    private volatile String problem;
    private Thread shutdownHook;

    private EmbeddedServer(Path pgData, Duration startupWait, FileChannel lockChannel, FileLock lock, int port) {
        this.pgData = pgData;
        this.startupWait = startupWait;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.port = port;
    }

    /** Owns the folder's server (creating the folder, starting the server) or joins the one its owner runs. */
    public static EmbeddedServer open(Path folder, Duration startupWait) throws IOException {
        Path pgData = folder.toAbsolutePath().normalize();
        EmbeddedServer owner;
        synchronized (OWNED) {
            if (OWNED.containsKey(pgData)) {
                return join(pgData, OWNED.get(pgData).port);
            }
            create(pgData);
            FileChannel channel = FileChannel.open(pgData.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                KEPT_OPEN.add(channel);
                return join(pgData, 0);
            }
            if (lock == null) {
                // a live process owns it (this JVM holds no lock on the file: closing the channel drops nothing)
                channel.close();
                return join(pgData, 0);
            }
            owner = new EmbeddedServer(pgData, startupWait, channel, lock, 0);
            OWNED.put(pgData, owner);
        }
        try {
            owner.startOwned();
            return owner;
        } catch (IOException | RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /** A server its owner runs: waits (a while) until it answers, since the owner may be starting it. */
    private static EmbeddedServer join(Path pgData, int knownPort) throws IOException {
        long deadline = System.nanoTime() + JOIN_WAIT.toNanos();
        while (true) {
            Postmaster.PidFile pid = Postmaster.PidFile.read(pgData);
            int port = pid != null && Postmaster.runningOn(pgData).isPresent() ? pid.port() : knownPort;
            if (port > 0 && answers(port)) {
                return new EmbeddedServer(pgData, JOIN_WAIT, null, null, port);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("another batch-image process owns the embedded PostgreSQL of " + pgData
                        + " (it holds " + LOCK + " there), but no server answers for it" + (port > 0 ? " on port " + port : ""));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the embedded PostgreSQL of " + pgData, e);
            }
        }
    }

    private static boolean answers(int port) {
        try (var s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A new data folder, made whole or not at all: initdb writes it beside, and it is renamed into place (a crash
     * during initdb leaves no half-made folder; of two processes creating it at once, the first rename wins).
     */
    private static void create(Path pgData) throws IOException {
        if (Files.exists(pgData.resolve("PG_VERSION"))) {
            return;
        }
        Path parent = pgData.getParent();
        Files.createDirectories(parent);
        Path fresh = parent.resolve(pgData.getFileName() + ".initdb-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        long start = System.nanoTime();
        try {
            Postmaster.initdb(fresh);
            if (Files.isDirectory(pgData)) {
                clearLeftovers(pgData);
            }
            Files.move(fresh, pgData, StandardCopyOption.ATOMIC_MOVE);
            Durably.syncDirectory(parent);
            LOG.info("created the embedded PostgreSQL's data folder {} in {} ms", pgData, (System.nanoTime() - start) / 1_000_000);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            if (!Files.exists(pgData.resolve("PG_VERSION"))) {
                throw new IOException(pgData + " is in the way of the embedded PostgreSQL's data folder: " + e.getMessage(), e);
            }
            // another process created it first
        } finally {
            deleteTree(fresh);
        }
    }

    /** A folder with no PG_VERSION may hold what an earlier start left; anything else is not ours to delete. */
    private static void clearLeftovers(Path pgData) throws IOException {
        try (Stream<Path> files = Files.list(pgData)) {
            for (Path f : files.toList()) {
                if (!NOT_DATA.contains(f.getFileName().toString())) {
                    throw new IOException(pgData + " holds no PostgreSQL data (no PG_VERSION) but is not empty (" + f.getFileName()
                            + "): move it away, and batch-image creates the database there again");
                }
                Files.delete(f);
            }
        }
        Files.delete(pgData);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", dir, e.getMessage());
        }
    }

    /** This process owns the folder: a server left running by a process that ended goes first, then this one's starts. */
    private void startOwned() throws IOException {
        Postmaster.PidFile pid = Postmaster.PidFile.read(pgData);
        Optional<ProcessHandle> orphan = Postmaster.runningOn(pgData);
        if (orphan.isPresent()) {
            LOG.warn("the embedded PostgreSQL of {} (pid {}, port {}) was left running by a batch-image process that ended"
                    + " without stopping it: stopping it and starting it again with this process", pgData, pid.pid(), pid.port());
            Postmaster.stop(pgData, orphan.get());
        } else if (pid != null && ProcessHandle.of(pid.pid()).map(ProcessHandle::isAlive).orElse(false)) {
            // PostgreSQL would take that live pid for a server still running here and refuse to start
            Files.deleteIfExists(pgData.resolve("postmaster.pid"));
            LOG.info("removed the postmaster.pid a server that ended left in {}: its pid {} is now another program's", pgData, pid.pid());
        }
        port = freePort();
        launch();
        shutdownHook = new Thread(this::stopAtExit, "embedded-postgres-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        LOG.info("embedded PostgreSQL started on port {} with data in {} (fsync and synchronous commits on)", port, pgData);
    }

    private void launch() throws IOException {
        Process p = Postmaster.start(pgData, port);
        try {
            Postmaster.awaitReady(p.toHandle(), pgData, port, startupWait);
        } catch (IOException e) {
            if (p.isAlive()) {
                Postmaster.stop(pgData, p.toHandle());
            }
            throw e;
        }
        server = p;
        p.onExit().thenRun(() -> ended(p));
    }

    /** The server stopped without being asked: it is this process's database, so it is started again. */
    private void ended(Process p) {
        if (closing || p != server) {
            return;
        }
        problem = "the embedded PostgreSQL (pid " + p.pid() + ") stopped unexpectedly at " + Instant.now() + " with exit code "
                + p.exitValue() + "; it is being started again";
        LOG.warn("{} (its log: {})", problem, pgData.resolve("batch-image-postgres.log"));
        var restart = new Thread(this::restart, "embedded-postgres-restart");
        restart.setDaemon(true);
        restart.start();
    }

    private void restart() {
        long delayMs = 500;
        for (int attempt = 1; !closing; attempt++) {
            try {
                synchronized (this) {
                    if (closing) {
                        return;
                    }
                    launch();
                }
                problem = null;
                LOG.info("embedded PostgreSQL runs again on port {} (started again after {} attempt{})", port, attempt, attempt == 1 ? "" : "s");
                return;
            } catch (IOException | RuntimeException e) {
                problem = "the embedded PostgreSQL of " + pgData + " stopped unexpectedly and does not start again yet (attempt "
                        + attempt + "): " + e.getMessage();
                LOG.warn(problem);
            }
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                return;
            }
            delayMs = Math.min(30_000, delayMs * 2);
        }
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** Whether this process owns the server (else another process runs it, and this one joined it). */
    public boolean owner() {
        return lock != null;
    }

    /** Why the server does not answer now (it stopped and is being started again), or null. */
    public String problem() {
        return problem;
    }

    public Path folder() {
        return pgData;
    }

    /** Stops the server (when this process owns it) and gives the folder back. */
    @Override
    public void close() {
        if (lock == null || closing) {
            return;
        }
        closing = true;
        synchronized (this) {
            Process p = server;
            if (p != null && p.isAlive()) {
                Postmaster.stop(pgData, p.toHandle());
                LOG.info("embedded PostgreSQL stopped");
            }
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.debug("releasing {}: {}", pgData.resolve(LOCK), e.toString());
        }
        synchronized (OWNED) {
            OWNED.remove(pgData, this);
        }
        closed.countDown();
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is going down already
            }
        }
    }

    /** At exit without a close (the service asked to stop closes first; this waits a little for it). */
    private void stopAtExit() {
        try {
            if (closed.await(20, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    @Override
    public String toString() {
        return (owner() ? "embedded PostgreSQL on port " : "embedded PostgreSQL already running on port ") + port + " (" + pgData + ")";
    }
}
