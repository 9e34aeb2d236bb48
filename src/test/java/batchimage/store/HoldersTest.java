package batchimage.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Which lease holders are processes of this machine that ended. */
class HoldersTest {

    @Test
    void aHolderHasEndedWhenItsProcessOnThisMachineNoLongerRunsOrWasAnEarlierProcessWithThisPid() throws Exception {
        String host = InetAddress.getLocalHost().getHostName();
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        Process running = new ProcessBuilder("sleep", "60").start();
        try {
            assertThat(Holders.endedHere(ended.pid() + "@" + host + "/abcd1234")).as("a process that ended").isTrue();
            assertThat(Holders.endedHere(running.pid() + "@" + host + "/abcd1234")).as("a process that runs").isFalse();
            assertThat(Holders.endedHere(ended.pid() + "@another-machine/abcd1234")).as("another machine's: its lease decides").isFalse();
            assertThat(Holders.endedHere(Holders.newHolder())).as("this process's").isFalse();
            assertThat(Holders.endedHere(ProcessHandle.current().pid() + "@" + host + "/00000000"))
                    .as("this pid, but a name this process never gave: the process before it with the same pid").isTrue();
            assertThat(Holders.endedHere(null)).isFalse();
            assertThat(Holders.endedHere("not a holder")).isFalse();
        } finally {
            running.destroyForcibly();
        }
    }
}
