package batchimage.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;

/**
 * Serves the search page: {@code GET /} is {@code web/index.html}, {@code GET /static/<file>} a file of
 * the classpath folder {@code web/} (flat: one path segment, a known extension). Nothing else is ever served.
 */
public final class PageRoutes extends RouteBuilder {

    /** The classpath folder of the page (src/main/resources/web). */
    static final String FOLDER = "web/";

    /** A file name of web/: no slash, no backslash, no leading dot, so never a way out of the folder. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)*\\.[a-z0-9]+");

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "json", "application/json",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "woff2", "font/woff2",
            "txt", "text/plain; charset=utf-8");

    /** Only what the page itself loads: scripts, styles, images and API calls of this origin. */
    private static final String PAGE_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private final ClassLoader loader;
    /** Files found so far (the jar does not change while the process runs); misses are not kept. */
    private final Map<String, PageFile> found = new ConcurrentHashMap<>();

    public PageRoutes() {
        this(PageRoutes.class.getClassLoader());
    }

    PageRoutes(ClassLoader loader) {
        this.loader = loader;
    }

    /** A file of web/ as served: bytes, content type and a strong ETag of its content. */
    record PageFile(byte[] body, String type, String etag) {
    }

    @Override
    public void configure() {
        from(pageEndpoint("platform-http:/?httpMethodRestrict=GET,HEAD")).routeId("page-index")
                .process(ex -> send(ex, "index.html"));
        from(pageEndpoint("platform-http:/static/{file}?httpMethodRestrict=GET,HEAD")).routeId("page-static")
                .process(ex -> send(ex, requestedFile(ex)));
    }

    /** An HTTP endpoint that lets the page's Cache-Control through (Camel's HTTP header filter drops it by default). */
    private PlatformHttpEndpoint pageEndpoint(String uri) {
        var headers = new HttpHeaderFilterStrategy();
        headers.getOutFilter().remove("cache-control");
        var endpoint = getContext().getEndpoint(uri, PlatformHttpEndpoint.class);
        endpoint.setHeaderFilterStrategy(headers);
        return endpoint;
    }

    /** The last segment of the request path, decoded: the query string (whose keys also become headers) plays no part. */
    private static String requestedFile(Exchange ex) {
        String path = ex.getMessage().getHeader(Exchange.HTTP_PATH, String.class);
        if (path == null) {
            return null;
        }
        String raw = path.substring(path.lastIndexOf('/') + 1);
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void send(Exchange ex, String name) {
        String ifNoneMatch = ex.getMessage().getHeader("If-None-Match", String.class);
        boolean head = "HEAD".equals(ex.getMessage().getHeader(Exchange.HTTP_METHOD, String.class));
        var m = ex.getMessage();
        m.removeHeaders("*");
        Optional<PageFile> file = lookup(name);
        if (file.isEmpty()) {
            m.setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            m.setHeader(Exchange.CONTENT_TYPE, "text/plain; charset=utf-8");
            m.setHeader("X-Content-Type-Options", "nosniff");
            m.setBody("not found: the page's files are /static/<name> of its own folder only\n");
            return;
        }
        PageFile f = file.get();
        // no build step means no fingerprinted names: browsers revalidate every time, an unchanged file costs a 304
        m.setHeader("Cache-Control", "no-cache");
        m.setHeader("ETag", f.etag());
        m.setHeader("X-Content-Type-Options", "nosniff");
        m.setHeader("Referrer-Policy", "same-origin");
        if (f.type().startsWith("text/html")) {
            m.setHeader("Content-Security-Policy", PAGE_POLICY);
        }
        if (ifNoneMatch != null && matches(ifNoneMatch, f.etag())) {
            m.setHeader(Exchange.HTTP_RESPONSE_CODE, 304);
            m.setBody(null);
            return;
        }
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        m.setHeader(Exchange.CONTENT_TYPE, f.type());
        // the HTTP server would write a body even to HEAD
        m.setBody(head ? null : f.body());
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.equals("*") || t.equals(etag) || t.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    /** The file of web/ with that name, if the name is a plain file name with a known extension and the file exists. */
    Optional<PageFile> lookup(String name) {
        if (name == null || name.length() > 100 || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT));
        if (type == null) {
            return Optional.empty();
        }
        PageFile known = found.get(name);
        if (known != null) {
            return Optional.of(known);
        }
        try (InputStream in = loader.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] body = in.readAllBytes();
            var file = new PageFile(body, type, etag(body));
            found.put(name, file);
            return Optional.of(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the page file " + FOLDER + name + ": " + e.getMessage(), e);
        }
    }

    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e);
        }
    }
}
