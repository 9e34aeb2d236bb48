package batchimage.api;

import batchimage.http.ApiError;
import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import batchimage.http.server.Uploads;
import batchimage.ingest.ImportHistory;
import batchimage.store.Durably;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The imports (docs/API.md "Imports"): {@code GET /api/imports} lists the import runs, {@code POST /api/imports?name=}
 * puts a batch file into the inbox. The HTTP server has streamed the body to disk (http/server/Uploads, which also
 * refuses a bad name or a body over the size before reading it); this moves the part into the inbox under its
 * name, whole, and forces the move to disk. The inbox route then imports it as any file dropped there.
 */
public final class ImportsApi {

    private static final Logger LOG = LoggerFactory.getLogger(ImportsApi.class);

    private final ImportHistory history;
    private final CamelContext camel;

    public ImportsApi(ImportHistory history, CamelContext camel) {
        this.history = history;
        this.camel = camel;
    }

    /** {@code GET /api/imports?limit=N}. */
    public void list(Exchange ex) {
        Answers.send(ex, () -> JsonAnswer.of(200, history.list(ImportHistory.limit(HttpRequests.first(HttpRequests.query(ex), "limit")))));
    }

    /** {@code POST /api/imports?name=batch_image_data_<theme>_final.json} with the file as the body. */
    public void upload(Exchange ex) {
        Answers.send(ex, () -> {
            Uploads uploads = camel.getRegistry().lookupByNameAndType("uploads", Uploads.class);
            Uploads.Upload upload = uploads == null ? null : uploads.take(ex.getMessage().getHeader(Uploads.TOKEN, String.class));
            if (upload == null) {
                String name = HttpRequests.first(HttpRequests.query(ex), "name");
                if (!Uploads.acceptable(name)) {
                    throw ApiError.badRequest("name", "name must be a batch file's name, batch_image_data_<theme>_final.json, found "
                            + (name == null ? "none" : "'" + name + "'"));
                }
                throw ApiError.badRequest("body", "send the batch file as the body of POST /api/imports?name=" + name);
            }
            return JsonAnswer.of(202, drop(upload, uploads.inbox()));
        });
    }

    /** Moves the received part into the inbox under its name; 409 when a file of that name is there already. */
    private static Object drop(Uploads.Upload upload, Path inbox) throws IOException {
        Path target = inbox.resolve(upload.name());
        try {
            if (Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            // no option: a file of that name that came meanwhile is not replaced; in one folder of the inbox, a rename
            Files.move(upload.part(), target);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(upload.part());
            throw new ApiError(409, "a file named " + upload.name() + " is in the inbox already, waiting or being imported:"
                    + " send this one again once it has moved to done/ or error/", "name");
        } catch (IOException e) {
            Files.deleteIfExists(upload.part());
            throw e;
        }
        Durably.syncDirectory(inbox);
        Durably.syncDirectory(upload.part().getParent());
        LOG.info("received {} ({} bytes) into the inbox", upload.name(), upload.bytes());
        var m = new LinkedHashMap<String, Object>();
        m.put("file", upload.name());
        m.put("bytes", upload.bytes());
        m.put("inbox", "inbox/" + upload.name());
        m.put("message", "in the inbox: the service imports it in a moment (GET /api/imports, GET /api/stats show how far it is)");
        return m;
    }
}
