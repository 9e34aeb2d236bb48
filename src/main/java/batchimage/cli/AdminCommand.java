package batchimage.cli;

import batchimage.config.Settings;
import batchimage.http.ApiError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * What the commands that talk to the service share ({@code search}, {@code enrich}, {@code delete},
 * {@code stats}, {@code dead-letters}): ask the service at {@code --url}; when none answers, do the work in
 * this process against the data folder. Exit codes: 0 done, 2 bad arguments, 1 anything else.
 */
abstract class AdminCommand implements Callable<Integer> {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    @CommandLine.Mixin
    Application.Common common;

    @Option(names = "--url", paramLabel = "URL", description = "the service to ask (default http://127.0.0.1:8080, or BATCH_IMAGE_HOST/PORT); when none answers, the work is done here against --data")
    String url;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    final ObjectMapper json = new ObjectMapper();

    /** The command's name in messages. */
    abstract String name();

    /** Checks the arguments (ApiError naming the part when they are wrong). */
    abstract void check();

    /** The service's answer. */
    abstract JsonNode remote(ServiceCall service) throws IOException, InterruptedException;

    /** The same work done in this process. */
    abstract JsonNode inProcess(Settings settings) throws IOException;

    /** The answer for people. */
    abstract String render(JsonNode answer);

    /** The exit code of a successful answer. */
    int exitCode(JsonNode answer) {
        return OK;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            check();
        } catch (ApiError e) {
            err.println("batch-image " + name() + ": " + option(e.field()) + e.getMessage());
            err.flush();
            return USAGE;
        }
        try {
            Settings settings = common.settings(Map.of());
            var service = new ServiceCall(url, settings);
            JsonNode answer;
            try {
                answer = remote(service);
            } catch (ConnectException e) {
                answer = null;
            } catch (ApiError e) {
                err.println("batch-image " + name() + ": the service at " + service.base() + " answered " + e.status() + ": " + e.getMessage());
                err.flush();
                return e.status() == 400 ? USAGE : FAILED;
            } finally {
                service.close();
            }
            if (answer == null) {
                err.println("batch-image " + name() + ": no service answers at " + service.base() + "; working on " + settings.dataDir() + " in this process");
                err.flush();
                boolean embedded = settings.get("database.url").isBlank();
                if (embedded && !Files.isRegularFile(settings.dataDir().resolve("postgres").resolve("PG_VERSION"))) {
                    err.println("batch-image " + name() + ": no library in " + settings.dataDir() + " (no " + settings.dataDir().resolve("postgres")
                            + " and no DATABASE_URL): import files first, or give --data or --url");
                    err.flush();
                    return FAILED;
                }
                answer = inProcess(settings);
            }
            if (common.json) {
                out.println(json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(answer));
            } else {
                out.print(render(answer));
            }
            out.flush();
            return exitCode(answer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("batch-image " + name() + ": interrupted");
            err.flush();
            return FAILED;
        } catch (IOException | RuntimeException e) {
            err.println("batch-image " + name() + ": " + e.getMessage());
            err.flush();
            return FAILED;
        }
    }

    /** Which option a refused part of the request came from. */
    String option(String field) {
        if (field == null) {
            return "";
        }
        return field.startsWith("filter") ? "--filter: " : "--" + field.replace('_', '-') + ": ";
    }
}
