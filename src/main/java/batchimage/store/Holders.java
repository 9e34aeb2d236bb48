package batchimage.store;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Names for the holders of leases in PostgreSQL (inbox locks, index claims, running imports): {@code pid@host/tag},
 * and whether such a holder is a process of this machine that has ended. A lease of a holder that ended here is
 * free at once, not when it runs out: a restarted service takes up the work of the one killed before it.
 */
public final class Holders {

    private static final long PID = ProcessHandle.current().pid();
    private static final String HOST = hostName();
    /** The holders named in this JVM: a name with this process's pid and none of these tags was an earlier process's. */
    private static final Set<String> NAMED_HERE = ConcurrentHashMap.newKeySet();
    /** This JVM, for what it holds as a whole (its running imports). */
    public static final String THIS_PROCESS = newHolder();

    private Holders() {
    }

    /** A new holder name of this process. */
    public static String newHolder() {
        String h = PID + "@" + HOST + "/" + UUID.randomUUID().toString().substring(0, 8);
        NAMED_HERE.add(h);
        return h;
    }

    /** The holder names of processes on this machine that have ended: {@code pid@host/...} whose pid no longer runs. */
    public static boolean endedHere(String holder) {
        if (holder == null) {
            return false;
        }
        int at = holder.indexOf('@');
        int slash = holder.indexOf('/', at + 1);
        if (at <= 0 || slash < 0 || !holder.substring(at + 1, slash).equals(HOST)) {
            return false;
        }
        long pid;
        try {
            pid = Long.parseLong(holder.substring(0, at));
        } catch (NumberFormatException e) {
            return false;
        }
        if (pid == PID) {
            // this pid, but not a name this JVM gave: the process before it with the same pid (a restarted container)
            return !NAMED_HERE.contains(holder);
        }
        return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
