package batchimage.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.Browser;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The search page in a real browser (Debian's chromium, headless, through chromedriver) against the real
 * service: the media library imported and indexed into embedded PostgreSQL and the local index, its images
 * in the media folder. Skipped only where chromium or chromedriver is not installed (.ci/run installs both).
 * Screenshots go to target/screenshots.
 */
class SearchPageBrowserTest {

    private static final Path LIBRARY = TestLibrary.SHARED_DATA.resolve("media-library");

    /** A record with tags and an image (424 x 640): "A kitchen with a refrigerator, stove and oven with cabinets.", APPLIANCE. */
    private static final String KITCHEN = "941c9ea4-cbc8-52fc-90b7-0516af10b093";
    private static final String KITCHEN_FILE = "images/000000000802.jpg";
    private static final String KITCHEN_PROMPT = "A kitchen with a refrigerator, stove and oven with cabinets.";

    @TempDir
    static Path work;
    private static Path data;
    private static String db;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void importAndIndexTheMediaLibrary() throws Exception {
        Assumptions.assumeTrue(Browser.installed(),
                "the browser test needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)");
        data = work.resolve("data");
        Path images = data.resolve("media").resolve("images");
        Files.createDirectories(images);
        try (var files = Files.list(LIBRARY.resolve("images"))) {
            for (Path image : files.toList()) {
                Files.copy(image, images.resolve(image.getFileName()));
            }
        }
        Path batch = TestLibrary.copyShared("media-library/batch_image_data_media_final.json", work.resolve("in"));
        db = TestPostgres.newDatabase("page");
        try (BatchImage service = TestLibrary.service(data, db)) {
            assertThat(service.importFile(batch).outcome()).isEqualTo("done");
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() ->
                    TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 79);
        }
    }

    @Test
    void searchFilterDetailAndTheUrlKeepTheSearch() throws Exception {
        try (BatchImage service = TestLibrary.service(data, db); Browser browser = new Browser(work.resolve("profile-search"))) {
            String base = baseUrl(service);
            var page = http.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");

            browser.open(base);
            // the filters come from /api/facets
            browser.waitFor("sub-theme choices from /api/facets",
                    "return [...document.querySelectorAll('#sub_theme option')].some(o => o.value === 'ANIMAL')");
            assertThat(browser.text("#library-size")).contains("79 images");

            // type a query, press Enter
            String query = "a kitchen with a fridge, a stove and an oven";
            browser.driver.findElement(By.id("q")).sendKeys(query, Keys.ENTER);
            browser.waitForResults();
            assertThat(browser.params()).containsEntry("q", query);
            assertThat(browser.text("#status")).contains("for “" + query + "”");
            List<Map<String, Object>> thumbs = browser.visibleImagesLoaded("#results .card img");
            assertThat(thumbs).isNotEmpty().allSatisfy(img ->
                    assertThat(((Number) img.get("w")).intValue()).as("thumbnail %s", img.get("src")).isPositive());
            assertThat(browser.cardIds()).contains(KITCHEN);
            // that card shows the record's own thumbnail (the image's proportions, at most 256 px), not a placeholder
            var original = ImageIO.read(LIBRARY.resolve(KITCHEN_FILE).toFile());
            var kitchenThumb = browser.imageSize(".card[data-id='" + KITCHEN + "'] img");
            assertThat(Math.max(kitchenThumb[0], kitchenThumb[1])).isBetween(1, 256);
            assertThat((double) kitchenThumb[0] / kitchenThumb[1]).isCloseTo((double) original.getWidth() / original.getHeight(),
                    org.assertj.core.data.Offset.offset(0.05));
            assertThat(browser.text(".card[data-id='" + KITCHEN + "'] .prompt")).isEqualTo(KITCHEN_PROMPT);
            assertThat(browser.text(".card[data-id='" + KITCHEN + "'] .score")).isNotBlank();
            browser.docScreenshot("search-results");

            // keyboard: the card takes focus, Enter opens the detail with the full image and the record
            browser.js("document.querySelector(\".card[data-id='" + KITCHEN + "']\").focus()");
            new Actions(browser.driver).sendKeys(Keys.ENTER).perform();
            browser.waitFor("the detail dialog with its full image and record",
                    "const i = document.querySelector('#detail-image');"
                            + "return document.querySelector('#detail').open && i.complete && i.naturalWidth > 0"
                            + " && document.querySelector('#detail-record dl') !== null");
            assertThat(browser.imageSize("#detail-image")).containsExactly(original.getWidth(), original.getHeight());
            assertThat(browser.text("#detail-record")).contains(KITCHEN_PROMPT, "APPLIANCE", "refrigerator", KITCHEN);
            assertThat(browser.params()).containsEntry("q", query).containsEntry("open", KITCHEN);
            browser.docScreenshot("detail");
            // Escape closes it, the URL forgets it, focus goes back to the card
            new Actions(browser.driver).sendKeys(Keys.ESCAPE).perform();
            browser.waitFor("the dialog to close", "return !document.querySelector('#detail').open && !location.search.includes('open=')");
            assertThat(browser.js("return document.activeElement.dataset.id")).isEqualTo(KITCHEN);

            // a sub-theme filter: every card is of that sub-theme, and the URL keeps query and filter
            new Select(browser.driver.findElement(By.id("sub_theme"))).selectByValue("ANIMAL");
            browser.waitFor("the filtered search", "return location.search.includes('sub_theme=ANIMAL')");
            browser.waitForResults();
            assertThat(browser.cardSubThemes()).isNotEmpty().containsOnly("ANIMAL");
            assertThat(browser.texts(".card .sub-theme")).isNotEmpty().containsOnly("ANIMAL");
            assertThat(browser.params()).containsEntry("q", query).containsEntry("sub_theme", "ANIMAL");
            List<String> filtered = browser.cardIds();
            browser.visibleImagesLoaded("#results .card img");
            browser.screenshot("filtered");

            // reloading restores the search: query box, filter and results
            browser.driver.navigate().refresh();
            browser.waitForResults();
            assertThat(browser.value("#q")).isEqualTo(query);
            assertThat(browser.value("#sub_theme")).isEqualTo("ANIMAL");
            assertThat(browser.cardIds()).isEqualTo(filtered);
            browser.screenshot("reloaded");

            // back and forward walk through the searches
            browser.driver.navigate().back();
            browser.waitFor("the search before the filter", "return !location.search.includes('sub_theme')");
            browser.waitForResults();
            assertThat(browser.value("#sub_theme")).isEmpty();
            assertThat(browser.value("#q")).isEqualTo(query);
            assertThat(browser.cardIds()).contains(KITCHEN);
            browser.driver.navigate().forward();
            browser.waitFor("the filtered search again", "return location.search.includes('sub_theme=ANIMAL')");
            browser.waitForResults();
            assertThat(browser.cardSubThemes()).containsOnly("ANIMAL");

            // an empty query with a filter lists the sub-theme's records, by name
            var box = browser.driver.findElement(By.id("q"));
            box.clear();
            box.sendKeys(Keys.ENTER);
            browser.waitFor("the listing", "return location.search === '?sub_theme=ANIMAL'");
            browser.waitForResults();
            long animals = TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE sub_theme = 'ANIMAL' AND status = 'active'");
            assertThat(browser.cardIds()).hasSize((int) animals);
            assertThat(browser.cardSubThemes()).containsOnly("ANIMAL");
            assertThat(browser.text("#status")).contains("by name");

            // nothing matches: the page says so
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE sub_theme = 'ANIMAL' AND description ILIKE '%oven%'")).isZero();
            browser.open(base + "?q=dog&sub_theme=ANIMAL&tag=oven");
            browser.waitFor("the empty answer", "return !document.querySelector('#empty').hidden && !document.body.classList.contains('busy')");
            assertThat(browser.text("#empty")).contains("No images match “dog”", "tag “oven”");
            assertThat(browser.cardIds()).isEmpty();
            browser.screenshot("no-match");
        }
    }

    /**
     * The scenario: "a dog" shows the dog photographs first, their thumbnails loaded; the page,
     * the API and the command line give the same records in the same order.
     */
    @Test
    void aDogShowsTheDogPhotographsAndPageApiAndCommandLineAgree() throws Exception {
        // the photographs of a dog (not the hot-dog cake), one of them untagged
        List<String> dogs = new java.util.ArrayList<>();
        try (var c = java.sql.DriverManager.getConnection(db);
             var rs = c.createStatement().executeQuery("SELECT id FROM image_library WHERE prompt ~* '\\ma dog\\M'")) {
            while (rs.next()) {
                dogs.add(rs.getString(1));
            }
        }
        assertThat(dogs).hasSize(3);
        try (BatchImage service = TestLibrary.service(data, db); Browser browser = new Browser(work.resolve("profile-dog"))) {
            String base = baseUrl(service);
            browser.open(base);
            browser.driver.findElement(By.id("q")).sendKeys("a dog", Keys.ENTER);
            browser.waitForResults();
            List<String> page = browser.cardIds();
            assertThat(page.subList(0, 5)).as("the first five cards").containsAll(dogs);
            assertThat(browser.visibleImagesLoaded("#results .card img")).allSatisfy(img ->
                    assertThat(((Number) img.get("w")).intValue()).as("thumbnail %s", img.get("src")).isPositive());
            browser.screenshot("a-dog");

            var api = new com.fasterxml.jackson.databind.ObjectMapper().readTree(http.send(HttpRequest.newBuilder(
                    URI.create(base + "api/search?q=a+dog&top_k=" + page.size())).build(), HttpResponse.BodyHandlers.ofString()).body());
            var apiIds = new java.util.ArrayList<String>();
            api.get("matches").forEach(m -> apiIds.add(m.get("id").asText()));
            assertThat(apiIds).as("the API's answer").isEqualTo(page);

            var out = new java.io.StringWriter();
            int exit = batchimage.cli.Application.execute(new java.io.PrintWriter(out, true), new java.io.PrintWriter(new java.io.StringWriter(), true),
                    Map.of(), "search", "a dog", "--url", base.substring(0, base.length() - 1), "--top-k", String.valueOf(page.size()), "--json");
            assertThat(exit).isZero();
            var cliIds = new java.util.ArrayList<String>();
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString()).get("matches").forEach(m -> cliIds.add(m.get("id").asText()));
            assertThat(cliIds).as("the command line's answer").isEqualTo(page);
        }
    }

    /**
     * Issue 7's scenario on the page: after an enrich pass has found, by file name, the images of the
     * records imported without a path, the whole library listed on the page shows 79 real thumbnails.
     */
    @Test
    @SuppressWarnings("unchecked")
    void afterEnrichmentThePageShowsAll79Thumbnails() throws Exception {
        try (BatchImage service = TestLibrary.service(data, db); Browser browser = new Browser(work.resolve("profile-all"))) {
            String base = baseUrl(service);
            var enrich = http.send(HttpRequest.newBuilder(URI.create(base + "api/enrich")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(enrich.statusCode()).as(enrich.body()).isEqualTo(200);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE coalesce(file_path, '') = ''")).isZero();

            // tall enough that no thumbnail waits for scrolling
            browser.driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 9000));
            browser.open(base + "?theme=media&top_k=100");
            browser.waitForResults();
            assertThat(browser.cardIds()).hasSize(79);
            assertThat(browser.visibleImagesLoaded("#results .card img")).hasSize(79).allSatisfy(img ->
                    assertThat(((Number) img.get("w")).intValue()).as("thumbnail %s", img.get("src")).isPositive());
            // none of them is the placeholder
            var answers = (List<Object>) browser.driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                    + "Promise.all([...document.querySelectorAll('#results .card img')].map(i => fetch(i.src)"
                    + "  .then(r => r.headers.get('X-Image-Placeholder') || String(r.status)))).then(done)");
            assertThat(answers).hasSize(79).allSatisfy(a -> assertThat(a).isEqualTo("200"));
            browser.screenshot("whole-library");
        }
    }

    @Test
    void withAnApiKeyThePageAsksOnceThenSearchesAndShowsImages() throws Exception {
        String key = "page-test-key-7f3a";
        try (BatchImage service = TestLibrary.service(data, db, Map.of("batch-image.api-key", key));
                Browser browser = new Browser(work.resolve("profile-key"))) {
            String base = baseUrl(service);
            // the page needs no key, the API does
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "static/app.js")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "api/search?q=dog")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);

            // counts how often the page asks, whatever number of requests were refused
            browser.driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
                    "window.__keyAsks = 0; const show = HTMLDialogElement.prototype.showModal;"
                            + "HTMLDialogElement.prototype.showModal = function () {"
                            + "  if (this.id === 'key-dialog') window.__keyAsks++; return show.call(this); };"));
            browser.open(base + "?q=dog");
            browser.waitFor("the key form", "return document.querySelector('#key-dialog').open");
            assertThat(browser.js("return document.activeElement.id")).isEqualTo("api-key");
            assertThat(browser.js("return window.__keyAsks")).isEqualTo(1L);
            browser.screenshot("api-key-form");

            // a wrong key is refused and the form says so
            new Actions(browser.driver).sendKeys("not-the-key", Keys.ENTER).perform();
            browser.waitFor("the key form again", "return document.querySelector('#key-dialog').open && !document.querySelector('#key-error').hidden");
            assertThat(browser.text("#key-error")).contains("not accepted");

            new Actions(browser.driver).sendKeys(key, Keys.ENTER).perform();
            browser.waitForResults();
            assertThat(browser.js("return document.querySelector('#key-dialog').open")).isEqualTo(false);
            assertThat(browser.js("return window.__keyAsks")).isEqualTo(2L);
            assertThat(browser.js("return localStorage.getItem('batch_image_key')")).isEqualTo(key);
            assertThat((String) browser.js("return document.cookie")).contains("batch_image_key=" + key);
            assertThat(browser.cardIds()).isNotEmpty();
            // the images carry the key in the cookie
            assertThat(browser.visibleImagesLoaded("#results .card img")).allSatisfy(img ->
                    assertThat(((Number) img.get("w")).intValue()).as("thumbnail %s", img.get("src")).isPositive());
            browser.waitFor("the filters, with the key", "return document.querySelectorAll('#theme option').length > 1");
            browser.screenshot("api-key-results");

            browser.js("document.querySelector('.card').click()");
            browser.waitFor("the full image, with the key", "const i = document.querySelector('#detail-image');"
                    + "return i.complete && i.naturalWidth > 0 && document.querySelector('#detail-record dl') !== null");

            // the key is kept: a reload asks nothing
            browser.driver.navigate().refresh();
            browser.waitForResults();
            assertThat(browser.js("return window.__keyAsks")).isEqualTo(0L);
            assertThat(browser.cardIds()).isNotEmpty();
        }
    }

    private static String baseUrl(BatchImage service) {
        return "http://127.0.0.1:" + service.settings().get("batch-image.port") + "/";
    }
}
