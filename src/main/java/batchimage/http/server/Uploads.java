package batchimage.http.server;

import batchimage.http.JsonAnswer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The body of {@code POST /api/imports?name=<batch file>}, a batch file sent to the inbox: checked before a byte is
 * read (a name the inbox would not import is 400, a {@code Content-Length} over {@code http.max-upload-bytes} 413),
 * then streamed to disk under a temporary name in {@code <inbox>/.uploads/} (never held in memory; past the size it
 * is 413 and the part is deleted), forced to disk, and handed to the route (api/ImportsApi), which moves it into the
 * inbox whole. The route finds it by a token header that this sets (a client's own is taken off): it can only
 * ever move a file this wrote. A client that stops sending for {@code http.read-timeout-ms} is answered 408.
 */
public final class Uploads {

    private static final Logger LOG = LoggerFactory.getLogger(Uploads.class);

    /** The path of the operation whose body this reads. */
    public static final String PATH = "/api/imports";
    /** The header that tells the route which upload is its body. */
    public static final String TOKEN = "X-Batch-Image-Upload";
    /** A name the inbox imports (its antInclude batch_image_data_*_final.json), with no way out of the folder. */
    public static final Pattern NAME = Pattern.compile("batch_image_data_[^/\\\\\\x00-\\x1f]*_final\\.json");
    static final int MAX_NAME = 200;
    /** The folder of the parts being received, inside the inbox so that the move into it is a rename. */
    static final String PARTS = ".uploads";

    /** A file received whole and forced to disk, waiting for its route: the part's path, the name asked for, its size. */
    public record Upload(Path part, String name, long bytes) {
    }

    private final Path inbox;
    private final long maxBytes;
    private final long stallMs;
    private final Map<String, Upload> received = new ConcurrentHashMap<>();

    public Uploads(Path inbox, long maxBytes, long stallMs) {
        this.inbox = inbox;
        this.maxBytes = maxBytes;
        this.stallMs = stallMs;
    }

    public Path inbox() {
        return inbox;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** The upload a route's token names, taken (a token is good once); null for none. */
    public Upload take(String token) {
        return token == null ? null : received.remove(token);
    }

    /** Whether a name is one the inbox imports, and safe as a file name there. */
    public static boolean acceptable(String name) {
        return name != null && name.length() <= MAX_NAME && NAME.matcher(name).matches();
    }

    static boolean isUpload(RoutingContext ctx) {
        return ctx.request().method() == HttpMethod.POST && PATH.equals(stripSlash(ctx.normalizedPath()));
    }

    private static String stripSlash(String path) {
        return path != null && path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /** Receives the body of an upload, then passes the request on to its route. */
    void handle(RoutingContext ctx, Vertx vertx) {
        HttpServerRequest request = ctx.request();
        request.pause();
        request.headers().remove(TOKEN);
        String name = request.getParam("name");
        if (!acceptable(name)) {
            refuse(ctx, 400, "name must be a batch file's name, batch_image_data_<theme>_final.json (the inbox imports only those), found "
                    + (name == null ? "none" : "'" + name + "'"), "name");
            return;
        }
        String length = request.getHeader("Content-Length");
        if (length != null && parse(length) > maxBytes) {
            refuse(ctx, 413, "the file is " + length + " bytes, more than the largest upload, " + maxBytes + " bytes (http.max-upload-bytes)", null);
            return;
        }
        Path part = inbox.resolve(PARTS).resolve(UUID.randomUUID() + ".part");
        vertx.<AsyncFile>executeBlocking(() -> {
            Files.createDirectories(part.getParent());
            return vertx.fileSystem().openBlocking(part.toString(), new OpenOptions().setWrite(true).setCreateNew(true));
        }, false).onFailure(e -> refuse(ctx, 500, "cannot write the upload into " + part.getParent() + ": " + e.getMessage(), null))
                .onSuccess(file -> new Receiving(ctx, vertx, request, file, part, name).start());
    }

    /** One body being written to its part. */
    private final class Receiving {
        private final RoutingContext ctx;
        private final Vertx vertx;
        private final HttpServerRequest request;
        private final AsyncFile file;
        private final Path part;
        private final String name;
        private long bytes;
        private long lastNanos = System.nanoTime();
        private long stallTimer = -1;
        private boolean over;

        Receiving(RoutingContext ctx, Vertx vertx, HttpServerRequest request, AsyncFile file, Path part, String name) {
            this.ctx = ctx;
            this.vertx = vertx;
            this.request = request;
            this.file = file;
            this.part = part;
            this.name = name;
        }

        void start() {
            if (stallMs > 0) {
                stallTimer = vertx.setPeriodic(Math.max(100, stallMs / 4), t -> {
                    if (!over && System.nanoTime() - lastNanos > stallMs * 1_000_000L) {
                        fail(408, "the upload stopped: nothing came for " + stallMs + " ms (http.read-timeout-ms)");
                        request.connection().close();
                    }
                });
            }
            request.handler(this::chunk);
            request.exceptionHandler(e -> fail(400, "the upload broke off: " + e.getMessage()));
            request.endHandler(v -> finish());
            request.resume();
        }

        private void chunk(Buffer b) {
            if (over) {
                return;
            }
            lastNanos = System.nanoTime();
            bytes += b.length();
            if (bytes > maxBytes) {
                fail(413, "the file is more than the largest upload, " + maxBytes + " bytes (http.max-upload-bytes)");
                return;
            }
            file.write(b);
            if (file.writeQueueFull()) {
                request.pause();
                file.drainHandler(v -> request.resume());
            }
        }

        private void finish() {
            if (over) {
                return;
            }
            over = true;
            cancelTimer();
            file.close().compose(v -> vertx.executeBlocking(() -> {
                try (FileChannel c = FileChannel.open(part, StandardOpenOption.WRITE)) {
                    c.force(true);
                }
                return null;
            }, false)).onFailure(e -> {
                delete();
                answer(500, "cannot write the upload to disk: " + e.getMessage(), null);
            }).onSuccess(v -> {
                String token = UUID.randomUUID().toString();
                received.put(token, new Upload(part, name, bytes));
                // a route that never runs (the client went away) leaves no part behind
                ctx.addEndHandler(r -> {
                    if (received.remove(token) != null) {
                        delete();
                    }
                });
                request.headers().set(TOKEN, token);
                ctx.next();
            });
        }

        private void fail(int status, String message) {
            if (over) {
                return;
            }
            over = true;
            cancelTimer();
            file.close().onComplete(r -> delete());
            LOG.info("upload of {} refused after {} bytes: {}", name, bytes, message);
            refuse(ctx, status, message, null);
        }

        private void cancelTimer() {
            if (stallTimer >= 0) {
                vertx.cancelTimer(stallTimer);
                stallTimer = -1;
            }
        }

        private void delete() {
            vertx.executeBlocking(() -> Files.deleteIfExists(part), false);
        }

        private void answer(int status, String message, String field) {
            refuse(ctx, status, message, field);
        }
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Refuses in the API's shape ({@code {"error", "status", "field"?}}), the rest of the body read and dropped. */
    private static void refuse(RoutingContext ctx, int status, String message, String field) {
        Refusals.send(ctx, status, JsonAnswer.error(status, message, field).body());
    }

    /**
     * Removes the parts left by a process that ended while receiving them: those unchanged for a day (another instance
     * on the same inbox may be receiving one now).
     */
    void clean() {
        Path parts = inbox.resolve(PARTS);
        if (!Files.isDirectory(parts)) {
            return;
        }
        long dayAgo = System.currentTimeMillis() - 24 * 3600 * 1000L;
        try (var files = Files.list(parts)) {
            for (Path p : files.toList()) {
                if (p.getFileName().toString().endsWith(".part") && Files.getLastModifiedTime(p).toMillis() < dayAgo) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot remove the unfinished uploads in {}: {}", parts, e.toString());
        }
    }
}
