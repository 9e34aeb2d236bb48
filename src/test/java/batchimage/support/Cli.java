package batchimage.support;

import batchimage.cli.Application;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** Runs {@code bin/batch-image} in this JVM, as a user would type it, with the environment given. */
public final class Cli {

    private Cli() {
    }

    /** What a command did: its exit code and what it printed on each stream. */
    public record Run(int exit, String out, String err) {
    }

    public static Run run(Map<String, String> env, String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Application.execute(new PrintWriter(out, true), new PrintWriter(err, true), env, args);
        return new Run(exit, out.toString(), err.toString());
    }
}
