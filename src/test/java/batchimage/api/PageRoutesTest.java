package batchimage.api;

import batchimage.api.PageRoutes;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.support.TestLibrary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The page's routes over real HTTP (Camel's platform-http server), without a database: what is served, and what never is. */
class PageRoutesTest {

    private static Main main;
    private static int port;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        port = TestLibrary.freePort();
        main = new Main();
        var props = new Properties();
        props.setProperty("camel.main.name", "page-routes-test");
        props.setProperty("camel.main.jmx-enabled", "false");
        props.setProperty("camel.server.enabled", "true");
        props.setProperty("camel.server.host", "127.0.0.1");
        props.setProperty("camel.server.port", String.valueOf(port));
        main.setOverrideProperties(props);
        // the page alone: not the service's settings (application.properties on the classpath: its REST API, /api-doc)
        main.setDefaultPropertyPlaceholderLocation("false");
        main.configure().addRoutesBuilder(new PageRoutes());
        main.start();
    }

    @AfterAll
    static void stop() {
        if (main != null) {
            main.stop();
        }
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
        if (headers.length > 0) {
            req.headers(headers);
        }
        return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request sent byte for byte as written (HttpClient would refuse or normalize some of these targets). */
    private static RawAnswer raw(String target) throws IOException {
        try (var s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            var out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            in.transferTo(out);
            String text = out.toString(StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(text.substring(9, 12));
            return new RawAnswer(status, text);
        }
    }

    private record RawAnswer(int status, String text) {
    }

    @Test
    void theRootIsTheSearchPageAsHtmlThatLoadsOnlyItsOwnFiles() throws Exception {
        var res = get("/");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(res.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(res.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(res.headers().firstValue("Content-Security-Policy")).get().asString()
                .contains("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'");
        assertThat(res.body()).contains("<form id=\"search-form\"", "<label", "src=\"/static/app.js\"", "href=\"/static/app.css\"")
                // no CDN, no external font: everything comes from this origin
                .doesNotContain("http://", "https://", "//fonts.", "@import");
    }

    @Test
    void everyFileThePageReferencesIsServedWithItsContentType() throws Exception {
        var wanted = new LinkedHashSet<String>();
        var page = get("/").body();
        var m = Pattern.compile("(?:src|href)=\"/static/([^\"?]+)\"").matcher(page);
        while (m.find()) {
            wanted.add(m.group(1));
        }
        // and the modules app.js imports
        var imports = Pattern.compile("from '\\./([^']+)'").matcher(get("/static/app.js").body());
        while (imports.find()) {
            wanted.add(imports.group(1));
        }
        assertThat(wanted).contains("app.js", "app.css", "favicon.svg", "api.js", "state.js");
        for (String file : wanted) {
            var res = get("/static/" + file);
            assertThat(res.statusCode()).as(file).isEqualTo(200);
            String expected = file.endsWith(".js") ? "text/javascript; charset=utf-8"
                    : file.endsWith(".css") ? "text/css; charset=utf-8"
                    : file.endsWith(".svg") ? "image/svg+xml" : "?";
            assertThat(res.headers().firstValue("Content-Type")).as(file).hasValue(expected);
            assertThat(res.headers().firstValue("Cache-Control")).as(file).hasValue("no-cache");
            assertThat(res.headers().firstValue("ETag")).as(file).isPresent();
            assertThat(res.body()).as(file).isNotEmpty().doesNotContain("https://", "http://fonts");
        }
    }

    @Test
    void anUnchangedFileIsRevalidatedWithA304() throws Exception {
        var first = get("/static/app.css");
        String etag = first.headers().firstValue("ETag").orElseThrow();
        var again = get("/static/app.css", "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(get("/static/app.css", "If-None-Match", "\"something-else\"").statusCode()).isEqualTo(200);
    }

    @Test
    void theQueryStringDoesNotChooseTheFile() throws Exception {
        var res = get("/static/app.css?file=app.js");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(get("/?file=app.js").headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/static/../../pom.xml",
        "/static/..%2F..%2Fpom.xml",
        "/static/..%2f..%2fpom.xml",
        "/static/%2e%2e%2f%2e%2e%2fpom.xml",
        "/static/%2e%2e/%2e%2e/pom.xml",
        "/static/..%5C..%5Cpom.xml",
        "/static/%252e%252e%252fpom.xml",
        "/static/..%2Fapplication.properties",
        "/static/..%2Fbatchimage%2Fweb%2FPageRoutes.class",
        "/static/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%2Fetc%2Fpasswd",
        "/static/app.js%00.html",
        "/static/.%2Fapp.js",
        "/static/.",
        "/static/",
        "/static/app.js/",
        "/static/web/app.js",
        "/static/nope.js",
        "/static/app",
        "/static/application.properties",
        "/static/simplelogger.properties",
        "/pom.xml",
        "/application.properties",
        "/index.html/../../pom.xml",
    })
    // (/static/.. is / itself once dot segments are removed: the page, which is fine)
    void nothingOutsideTheWebFolderIsEverServed(String target) throws Exception {
        var answer = raw(target);
        assertThat(answer.status()).as(target).isEqualTo(404);
        assertThat(answer.text()).as(target)
                .doesNotContain("<project", "<artifactId>", "batch-image settings", "root:x:0:0", "org.slf4j", "CAFEBABE");
    }

    @ParameterizedTest
    @CsvSource({"/static/app.js,text/javascript; charset=utf-8", "/static/index.html,text/html; charset=utf-8"})
    void aPlainFileNameOfTheFolderIsServed(String target, String type) throws Exception {
        var answer = raw(target);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.text()).containsIgnoringCase("content-type: " + type);
    }

    @Test
    void headAnswersTheHeadersWithoutTheBody() throws Exception {
        var res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/static/app.css"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(res.body()).isEmpty();
    }

    @Test
    void onlyGetAndHeadAreAnswered() throws Exception {
        var res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/static/app.js"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isIn(404, 405);
        assertThat(res.body()).doesNotContain("import ");
    }
}
