package batchimage.support;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A JVM on the test's class path, started in the project folder, its output in {@code <name>.out} and
 * {@code .err} of a folder: for tests that kill a process with SIGKILL in the middle of its work. Only the
 * environment the test gives reaches it (none of the machine's batch-image settings). Close kills it.
 */
public final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final Path out;
    private final Path err;

    private ChildJvm(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    public static ChildJvm start(Path work, String name, Map<String, String> env, String mainClass, String... args) throws IOException {
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        Path out = work.resolve(name + ".out");
        Path err = work.resolve(name + ".err");
        var pb = new ProcessBuilder(cmd).directory(TestLibrary.PROJECT.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeAll(settingNames());
        pb.environment().putAll(env);
        return new ChildJvm(pb.start(), out, err);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, and waits for the end; returns the exit value (137). */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the child did not end within 30 s of SIGKILL");
        }
        return process.exitValue();
    }

    /** The complete lines it printed so far (a line cut by a kill is not one). */
    public List<String> lines() throws IOException {
        String s = Files.readString(out, StandardCharsets.UTF_8);
        int end = s.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(s.substring(0, end).split("\n"));
    }

    /** The end of what it wrote on stderr, for assertion messages. */
    public String tail() {
        try {
            String s = Files.readString(err, StandardCharsets.UTF_8);
            return s.substring(Math.max(0, s.length() - 4000));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        if (process.isAlive()) {
            kill();
        }
    }

    private static Set<String> settingNames() throws IOException {
        var props = new Properties();
        try (Reader in = Files.newBufferedReader(TestLibrary.PROJECT.resolve("application.properties"), StandardCharsets.UTF_8)) {
            props.load(in);
        }
        var names = new HashSet<String>();
        props.stringPropertyNames().forEach(k -> names.add(batchimage.config.Settings.envName(k)));
        return names;
    }
}
