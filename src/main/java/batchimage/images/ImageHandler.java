package batchimage.images;

import batchimage.http.JsonAnswer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code GET /api/images/{id}} (the record's image, streamed, with its own content type) and
 * {@code GET /api/images/{id}/thumbnail} (JPEG): the record's {@code file_path} is resolved by
 * {@link MediaFolders} only, and whatever cannot be served is a 404 with a placeholder SVG and
 * {@code X-Image-Placeholder: missing|outside|unknown}. Both honour {@code If-None-Match} and
 * {@code If-Modified-Since}.
 */
public final class ImageHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ImageHandler.class);
    /** Private: with an API key the images are not for shared caches; revalidated by ETag after 5 minutes. */
    static final String CACHE_CONTROL = "private, max-age=300";
    private static final String PREFIX = "/api/images/";
    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);
    private static final int STREAM_BUFFER = 64 * 1024;

    private final ImageRecords records;
    private final MediaFolders folders;
    private final Thumbnails thumbnails;

    public ImageHandler(ImageRecords records, MediaFolders folders, Thumbnails thumbnails) {
        this.records = records;
        this.folders = folders;
        this.thumbnails = thumbnails;
    }

    public Thumbnails thumbnails() {
        return thumbnails;
    }

    /** The image file itself, streamed (it is never read into memory whole). */
    public void image(Exchange ex) {
        String path = ex.getMessage().getHeader(Exchange.HTTP_PATH, String.class);
        try {
            Located at = locate(ex);
            if (at == null) {
                return;
            }
            MediaFile image = at.image();
            String etag = "\"" + image.fingerprint() + "\"";
            if (notModified(ex, etag, image.modified())) {
                return;
            }
            InputStream in = open(image);
            if (in == null) {
                placeholder(ex, Placeholder.MISSING, at.id(), "cannot open " + image.file());
                return;
            }
            Optional<String> type = sniff(in);
            if (type.isEmpty()) {
                placeholder(ex, Placeholder.MISSING, at.id(), image.file() + " is not an image format browsers show");
                return;
            }
            Message m = fresh(ex, 200, type.get());
            cacheHeaders(m, etag, image.modified());
            // an InputStream body is pumped to the client in chunks and closed by platform-http
            m.setBody(in);
        } catch (IOException | RuntimeException e) {
            failed(ex, path, e);
        }
    }

    /** A JPEG no side of which is longer than the renderer's (256 px), drawn once and kept. */
    public void thumbnail(Exchange ex) {
        String path = ex.getMessage().getHeader(Exchange.HTTP_PATH, String.class);
        try {
            Located at = locate(ex);
            if (at == null) {
                return;
            }
            MediaFile image = at.image();
            String etag = "\"" + image.fingerprint() + "-" + thumbnails.variant() + "\"";
            if (notModified(ex, etag, image.modified())) {
                return;
            }
            Optional<byte[]> jpeg = thumbnails.jpeg(at.id(), image);
            if (jpeg.isEmpty()) {
                placeholder(ex, Placeholder.MISSING, at.id(), image.file() + " cannot be read as an image");
                return;
            }
            Message m = fresh(ex, 200, "image/jpeg");
            cacheHeaders(m, etag, image.modified());
            m.setBody(jpeg.get());
        } catch (RuntimeException e) {
            failed(ex, path, e);
        }
    }

    private record Located(UUID id, MediaFile image) {
    }

    /** The record's image file, or null when a placeholder has been answered instead. */
    private Located locate(Exchange ex) {
        String idText = idOf(ex.getMessage().getHeader(Exchange.HTTP_PATH, String.class));
        if (idText == null) {
            placeholder(ex, Placeholder.UNKNOWN, null, "the id in the path is not a UUID");
            return null;
        }
        UUID id = UUID.fromString(idText);
        var record = records.find(id);
        if (record.isEmpty()) {
            placeholder(ex, Placeholder.UNKNOWN, id, "no such record");
            return null;
        }
        MediaLookup found = folders.resolve(record.get().filePath());
        if (found instanceof MediaLookup.Outside o) {
            placeholder(ex, Placeholder.OUTSIDE, id, o.why());
            return null;
        }
        if (found instanceof MediaLookup.Missing mi) {
            placeholder(ex, Placeholder.MISSING, id, mi.why());
            return null;
        }
        try {
            return new Located(id, MediaFile.of(((MediaLookup.Found) found).file()));
        } catch (IOException e) {
            placeholder(ex, Placeholder.MISSING, id, e.toString());
            return null;
        }
    }

    /** The UUID of {@code /api/images/<id>[/...]}, taken from the path itself; null when it is not one. */
    static String idOf(String path) {
        if (path == null || !path.startsWith(PREFIX)) {
            return null;
        }
        String rest = path.substring(PREFIX.length());
        int slash = rest.indexOf('/');
        String id = slash < 0 ? rest : rest.substring(0, slash);
        return UUID_TEXT.matcher(id).matches() ? id : null;
    }

    /** The real path is opened without following a link, in case one was put there since it was resolved. */
    private static InputStream open(MediaFile image) {
        try {
            var channel = Files.newByteChannel(image.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            return new BufferedInputStream(Channels.newInputStream(channel), STREAM_BUFFER);
        } catch (IOException e) {
            return null;
        }
    }

    /** The content type from the first bytes; the stream is closed when it is not an image or cannot be read. */
    private static Optional<String> sniff(InputStream in) throws IOException {
        try {
            in.mark(ImageType.HEAD);
            byte[] head = in.readNBytes(ImageType.HEAD);
            in.reset();
            Optional<String> type = ImageType.of(head);
            if (type.isEmpty()) {
                in.close();
            }
            return type;
        } catch (IOException e) {
            in.close();
            throw e;
        }
    }

    private static boolean notModified(Exchange ex, String etag, FileTime modified) {
        Message in = ex.getMessage();
        String ifNoneMatch = in.getHeader("If-None-Match", String.class);
        boolean unchanged;
        if (ifNoneMatch != null) {
            unchanged = matches(ifNoneMatch, etag);
        } else {
            unchanged = notModifiedSince(in.getHeader("If-Modified-Since", String.class), modified);
        }
        if (unchanged) {
            Message m = fresh(ex, 304, null);
            cacheHeaders(m, etag, modified);
            m.setBody(new byte[0]);
        }
        return unchanged;
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.strip();
            if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static boolean notModifiedSince(String since, FileTime modified) {
        if (since == null) {
            return false;
        }
        try {
            long at = ZonedDateTime.parse(since.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
            return modified.toInstant().getEpochSecond() <= at;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static void cacheHeaders(Message m, String etag, FileTime modified) {
        m.setHeader("ETag", etag);
        m.setHeader("Last-Modified", HTTP_DATE.format(modified.toInstant()));
        m.setHeader("Cache-Control", CACHE_CONTROL);
    }

    /** The message emptied of the request's headers, with status and content type set. */
    private static Message fresh(Exchange ex, int status, String contentType) {
        Message m = ex.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        if (contentType != null) {
            m.setHeader(Exchange.CONTENT_TYPE, contentType);
        }
        m.setHeader("X-Content-Type-Options", "nosniff");
        return m;
    }

    private static void placeholder(Exchange ex, Placeholder kind, UUID id, String why) {
        LOG.debug("image of record {}: {} ({})", id, kind.header(), why);
        Message m = fresh(ex, 404, Placeholder.CONTENT_TYPE);
        m.setHeader(Placeholder.HEADER, kind.header());
        // the file may turn up (or the record change) at any time
        m.setHeader("Cache-Control", "no-store");
        m.setBody(kind.svg());
    }

    /** Not the image's fault (the database is down, say): a JSON error like the rest of /api, no stack trace. */
    private static void failed(Exchange ex, String path, Exception e) {
        LOG.warn("cannot answer {}: {}", path, e.toString());
        JsonAnswer.error(500, "cannot serve " + path + ": " + e.getMessage()).send(ex);
    }
}
