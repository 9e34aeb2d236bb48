package batchimage.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * batch-image in a child JVM on this test's class path, as a user runs it ({@code batchimage.cli.Application} with its
 * arguments and the environment given, nothing of the machine's settings), its output in {@code <name>.out} and
 * {@code .err} of the work folder. For the crash tests: killed with SIGKILL (the JVM alone, not the PostgreSQL it
 * started), or stopped as a user stops it (SIGTERM). {@link #cleanUp} ends what the children left running.
 */
public final class ServiceProcess {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path work;
    private final Process process;
    private final int port;

    private ServiceProcess(String name, Path work, Process process, int port) {
        this.name = name;
        this.work = work;
        this.process = process;
        this.port = port;
    }

    /**
     * Settings for a child whose model is not under test: embeddings from {@code embeddingsUrl} (a stub, 32 dimensions),
     * no enrich or scheduled sync, a quickly polled inbox, a progress line every second; {@code index}: whether it indexes.
     */
    public static Map<String, String> quickEnv(String embeddingsUrl, boolean index) {
        var env = new java.util.HashMap<String, String>();
        env.put("LOCAL_EMBEDDINGS_PRELOAD", "");
        env.put("EMBEDDINGS_URL", embeddingsUrl);
        env.put("EMBEDDINGS_MODEL", "stub-model");
        env.put("EMBEDDINGS_DIMENSIONS", "32");
        env.put("INDEX_ENABLED", String.valueOf(index));
        env.put("INDEX_POLL_MS", "200");
        env.put("ENRICH_ENABLED", "false");
        env.put("SYNC_ENABLED", "false");
        env.put("INGEST_MIN_AGE", "300");
        env.put("INGEST_POLL_DELAY", "200");
        env.put("INGEST_PROGRESS_SECONDS", "1");
        return env;
    }

    /** {@code batch-image run --data <data> --port <free port>}. */
    public static ServiceProcess service(Path work, String name, Path data, Map<String, String> env) throws IOException {
        int port = TestLibrary.freePort();
        return new ServiceProcess(name, work, start(work, name, env, "run", "--data", data.toString(), "--port", String.valueOf(port)), port);
    }

    /** Any command, e.g. {@code import --json --data <data> FILE}. */
    public static ServiceProcess command(Path work, String name, Map<String, String> env, String... args) throws IOException {
        return new ServiceProcess(name, work, start(work, name, env, args), 0);
    }

    private static Process start(Path work, String name, Map<String, String> env, String... args) throws IOException {
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "batchimage.cli.Application"));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd)
                .directory(TestLibrary.PROJECT.toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(name + ".out").toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(work.resolve(name + ".err").toFile()));
        pb.environment().keySet().removeAll(settingNames());
        pb.environment().putAll(env);
        return pb.start();
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

    public Process process() {
        return process;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL to the JVM alone: what it started (its PostgreSQL) goes on running. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " did not end after SIGKILL");
        }
    }

    /** SIGTERM, as Ctrl-C or a service manager stops it; waits for it to end. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " did not stop within 90 s of SIGTERM: " + log());
        }
        return process.exitValue();
    }

    /** Everything it logged so far. */
    public String log() {
        try {
            return Files.readString(work.resolve(name + ".err"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public String out() throws IOException {
        return Files.readString(work.resolve(name + ".out"), StandardCharsets.UTF_8);
    }

    /** The end of its log, for assertion messages. */
    public String tail() {
        String s = log();
        return name + ": ..." + s.substring(Math.max(0, s.length() - 4000));
    }

    public String base() {
        return "http://127.0.0.1:" + port;
    }

    /** GET of a path of the service, its JSON (null when nothing answers). */
    public JsonNode get(String path) {
        try {
            HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(res.body());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** POST of JSON to a path of the service: status and answer. */
    public HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the check of that name in /observe/health is UP (its probe runs in the background: the first asks start it). */
    public void awaitUp(String check) {
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300)).until(() -> {
            if (!alive()) {
                throw new AssertionError("the service ended: " + tail());
            }
            JsonNode c = healthCheck(check);
            return c != null && c.path("status").asText().equals("UP");
        });
    }

    /** The check of that name in /observe/health ({@code status}, {@code message}), or null. */
    public JsonNode healthCheck(String check) {
        JsonNode health = get("/observe/health");
        if (health == null) {
            return null;
        }
        for (JsonNode c : health.path("checks")) {
            if (c.path("name").asText().equals(check)) {
                return c;
            }
        }
        return null;
    }

    /** The server of a data folder's embedded PostgreSQL as its postmaster.pid says: pid and port (null when no file). */
    public record Postmaster(long pid, int port) {
        public static Postmaster of(Path data) {
            try {
                List<String> lines = Files.readAllLines(data.resolve("postgres").resolve("postmaster.pid"));
                return new Postmaster(Long.parseLong(lines.get(0).trim()), Integer.parseInt(lines.get(3).trim()));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        public boolean alive() {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }

        public Connection connect() throws SQLException {
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
        }

        /** The server's command line as the operating system shows it (what {@code ps} shows). */
        public String commandLine() throws IOException {
            byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        }

        public long count(String sql) throws SQLException {
            try (Connection c = connect(); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        public String text(String sql) throws SQLException {
            try (Connection c = connect(); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** Kills the children still running and the PostgreSQL servers they left on these data folders. */
    public static void cleanUp(List<ServiceProcess> children, List<Path> dataFolders) throws InterruptedException {
        for (ServiceProcess c : children) {
            c.process.destroyForcibly();
            c.process.waitFor(30, TimeUnit.SECONDS);
        }
        for (Path data : dataFolders) {
            Postmaster pm = Postmaster.of(data);
            if (pm == null) {
                continue;
            }
            ProcessHandle.of(pm.pid()).filter(p -> isServerOf(p, data)).ifPresent(p -> {
                p.destroyForcibly();
                try {
                    p.onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // nothing more to do
                }
            });
        }
    }

    private static boolean isServerOf(ProcessHandle p, Path data) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", String.valueOf(p.pid()), "cwd")).equals(data.resolve("postgres").toRealPath());
        } catch (IOException e) {
            return false;
        }
    }
}
