package batchimage.cli;

import batchimage.app.BatchImage;

import batchimage.config.Settings;
import batchimage.ingest.ImportResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The command line: {@code bin/batch-image run | import PATH...}. */
@Command(name = "batch-image", mixinStandardHelpOptions = true, version = "batch-image 0.1.0",
        description = "Keeps a library of generated images searchable.",
        subcommands = {Application.Run.class, Application.Import.class, SearchCommand.class, EnrichCommand.class, DeleteCommand.class,
                StatsCommand.class, ReindexCommand.class, DeadLettersCommand.class})
public final class Application implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The environment the settings are read from (tests give their own). */
    private final Map<String, String> environment;

    private Application(Map<String, String> environment) {
        this.environment = environment;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs a command with its output and errors sent where the caller says (tests read them). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(out, err, System.getenv(), args);
    }

    /** As above, with the settings read from the given environment instead of the process's. */
    public static int execute(PrintWriter out, PrintWriter err, Map<String, String> environment, String... args) {
        return new CommandLine(new Application(environment))
                .setOut(out)
                .setErr(err)
                // an argument starting with @ is the command's to read (dead-letters --record @file), not picocli's argument file
                .setExpandAtFiles(false)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("batch-image: " + e.getMessage());
                    return 2;
                })
                .execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every command takes. */
    static class Common {
        @Option(names = "--data", description = "data directory (inbox, done, error, postgres, index); default ./data or BATCH_IMAGE_DATA")
        Path data;

        @Option(names = "--json", description = "machine-readable output")
        boolean json;

        /** The command this mixin is part of: its parent holds the environment. */
        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec mixee;

        Settings settings(Map<String, String> extra) {
            var overrides = new HashMap<String, String>(extra);
            if (data != null) {
                overrides.put("batch-image.data", data.toString());
            }
            return Settings.load(home(), environment(), overrides);
        }

        private Map<String, String> environment() {
            var parent = mixee == null ? null : mixee.parent();
            return parent != null && parent.userObject() instanceof Application app ? app.environment : System.getenv();
        }
    }

    /** The folder with application.properties and routes/: set by bin/batch-image, else the working directory. */
    static Path home() {
        String home = System.getProperty("batch-image.home");
        return (home == null ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
    }

    @Command(name = "run", description = "Runs the service: inbox polling, routes, HTTP on 127.0.0.1:8080.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        Common common;

        @Option(names = "--port", description = "HTTP port (BATCH_IMAGE_PORT), default 8080")
        Integer port;

        @Option(names = "--reload", description = "watch routes/ and apply edited routes without a restart")
        boolean reload;

        @Override
        public Integer call() throws Exception {
            var extra = new HashMap<String, String>();
            if (port != null) {
                extra.put("batch-image.port", port.toString());
            }
            Settings settings = common.settings(extra);
            var app = BatchImage.create(settings, BatchImage.Mode.SERVICE);
            System.err.printf("batch-image: drop batch_image_data_*_final.json files into %s; http://%s:%s%n",
                    settings.dataDir().resolve("inbox"), settings.get("batch-image.host"), settings.get("batch-image.port"));
            app.runUntilStopped(reload);
            return 0;
        }
    }

    @Command(name = "import", description = "Imports the given batch files (or the batch files in given folders) and exits. Files stay where they are.")
    static final class Import implements Callable<Integer> {
        @CommandLine.Mixin
        Common common;

        @Parameters(arity = "1..*", paramLabel = "PATH", description = "batch files, or folders holding batch_image_data_*_final.json files")
        List<Path> paths;

        @Option(names = "--no-index", description = "only store the records; do not index them now")
        boolean noIndex;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            List<Path> files = expand(paths, spec.commandLine());
            Settings settings = common.settings(Map.of());
            var results = new ArrayList<ImportResult>();
            var documents = new ArrayList<Map<String, Object>>();
            var mapper = new ObjectMapper();
            PrintWriter err = spec.commandLine().getErr();
            BatchImage.IndexProgress indexed = null;
            BatchImage.Mode mode = noIndex ? BatchImage.Mode.ONE_SHOT : BatchImage.Mode.IMPORT;
            try (var app = BatchImage.create(settings, mode).start()) {
                for (Path f : files) {
                    results.add(app.importFile(f));
                }
                var names = results.stream().filter(r -> "done".equals(r.outcome())).map(ImportResult::file).toList();
                if (!noIndex && !names.isEmpty()) {
                    indexed = awaitIndexed(app, names, err);
                }
                for (ImportResult r : results) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> doc = mapper.convertValue(r, LinkedHashMap.class);
                    if (!noIndex && app.indexes() && "done".equals(r.outcome())) {
                        var counts = app.context().getRegistry().lookupByNameAndType("indexer", batchimage.index.Indexer.class).counts(r.file());
                        var embedded = new LinkedHashMap<String, Long>();
                        var upserted = new LinkedHashMap<String, Long>();
                        for (String ns : batchimage.index.IndexBatch.NAMESPACES) {
                            embedded.put(ns, counts.get(ns + ".embedded"));
                            upserted.put(ns, counts.get(ns + ".upserted"));
                        }
                        doc.put("embedded", embedded);
                        doc.put("upserted", upserted);
                    }
                    documents.add(doc);
                }
            }
            boolean imported = results.stream().allMatch(r -> "done".equals(r.outcome()));
            boolean allIndexed = indexed == null || indexed.waiting() == 0 && indexed.failing() == 0;
            PrintWriter out = spec.commandLine().getOut();
            if (common.json) {
                var doc = new LinkedHashMap<String, Object>();
                doc.put("files", documents);
                doc.put("ok", imported);
                if (indexed != null) {
                    String error = indexed.blocked() != null ? indexed.blocked() : indexed.firstError();
                    doc.put("indexed", Map.of("records", indexed.total(), "indexed", indexed.indexed(), "failing", indexed.failing(),
                            "error", error == null ? "" : error));
                }
                out.println(mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
            } else {
                for (ImportResult r : results) {
                    if ("done".equals(r.outcome())) {
                        out.printf("%s: %,d read, %,d inserted, %,d updated, %,d unchanged, %,d rejected, %,d superseded (%.1f s)%n",
                                r.file(), r.read(), r.inserted(), r.updated(), r.unchanged(), r.rejected(), r.superseded(), r.seconds());
                    } else {
                        out.printf("%s: FAILED: %s%n  report: %s%n", r.file(), r.error(), r.report());
                    }
                }
                if (indexed != null) {
                    out.printf("index: %,d of %,d records indexed%s%n", indexed.indexed(), indexed.total(),
                            indexed.blocked() != null ? String.format(", %,d not indexed (see below)", indexed.waiting())
                            : indexed.failing() > 0 ? String.format(", %,d not yet (%s); the service retries them", indexed.failing(), indexed.firstError()) : "");
                }
            }
            out.flush();
            if (indexed != null && indexed.blocked() != null) {
                err.println("batch-image: " + indexed.blocked());
                err.flush();
            }
            return !imported ? 1 : allIndexed ? 0 : 3;
        }

        /** Waits until the imported records are indexed (or fail with a reason, or cannot be indexed at all), showing progress. */
        static BatchImage.IndexProgress awaitIndexed(BatchImage app, List<String> files, PrintWriter err) throws InterruptedException {
            long start = System.nanoTime();
            long lastShown = 0;
            long firstIndexed = -1;
            while (true) {
                BatchImage.IndexProgress p = app.indexProgress(files);
                if (firstIndexed < 0) {
                    firstIndexed = p.indexed();
                }
                if (p.waiting() == 0) {
                    return p;
                }
                String problem = app.indexProblem();
                if (problem != null) {
                    return p.blockedBy(problem);
                }
                long now = System.nanoTime();
                if (now - lastShown > 2_000_000_000L) {
                    lastShown = now;
                    double secs = (now - start) / 1e9;
                    double rate = (p.indexed() - firstIndexed) / Math.max(secs, 1e-3);
                    err.printf("indexing: %,d of %,d records (%.0f%%), %,.0f records/s%s%n", p.indexed(), p.total(),
                            100.0 * p.indexed() / Math.max(1, p.total()), rate,
                            rate > 0 ? String.format(", about %.0f s left", p.waiting() / rate) : "");
                    err.flush();
                }
                // the count scans the file's rows: once a second is enough
                Thread.sleep(1000);
            }
        }

        static List<Path> expand(List<Path> paths, CommandLine cmd) throws IOException {
            var files = new ArrayList<Path>();
            for (Path p : paths) {
                if (Files.isDirectory(p)) {
                    try (Stream<Path> s = Files.list(p)) {
                        s.filter(f -> f.getFileName().toString().matches("batch_image_data_.*_final\\.json"))
                                .sorted().forEach(files::add);
                    }
                } else if (Files.isRegularFile(p)) {
                    files.add(p);
                } else {
                    throw new CommandLine.ParameterException(cmd, "no such file or folder: " + p);
                }
            }
            return files;
        }
    }
}
