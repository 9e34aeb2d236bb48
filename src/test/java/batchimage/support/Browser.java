package batchimage.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless chromium through chromedriver (Debian's chromium and chromium-driver), with the flags this closed network
 * needs and a profile of its own, for the page's browser tests. Screenshots go to target/screenshots; those the
 * documentation shows (docs/OPERATIONS.md, the library page) also to docs/screenshots, so that they stay current.
 */
public final class Browser implements AutoCloseable {

    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    public static final Path SCREENSHOTS = TestLibrary.PROJECT.resolve("target/screenshots");
    public static final Path DOC_SCREENSHOTS = TestLibrary.PROJECT.resolve("docs/screenshots");
    public static final Duration WAIT = Duration.ofSeconds(30);

    public final ChromeDriver driver;

    public Browser(Path profile) throws Exception {
        Files.createDirectories(profile);
        var options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile);
        var service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
    }

    /** Whether Debian's chromium and chromedriver are installed (.ci/run installs both). */
    public static boolean installed() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    public void open(String url) {
        driver.get(url);
    }

    public Object js(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    public void waitFor(String what, String script, Object... args) {
        waitFor(what, WAIT, script, args);
    }

    public void waitFor(String what, Duration atMost, String script, Object... args) {
        new WebDriverWait(driver, atMost).withMessage(what).until((Function<WebDriver, Boolean>) d ->
                Boolean.TRUE.equals(driver.executeScript(script, args)));
    }

    /** The search has answered and its cards, or its message, are on the page. */
    public void waitForResults() {
        waitFor("the search results", "return !document.body.classList.contains('busy')"
                + " && document.querySelector('#status').textContent.length > 0"
                + " && !/^(Searching|Listing)/.test(document.querySelector('#status').textContent)"
                + " && (document.querySelectorAll('#results .card').length > 0 || !document.querySelector('#empty').hidden"
                + "     || !document.querySelector('#error').hidden)");
        assertThat(js("return document.querySelector('#error').hidden")).as(text("#error")).isEqualTo(true);
    }

    /** The images of the selector inside the viewport, once all of them finished loading: src, complete, w, h. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> visibleImagesLoaded(String selector) {
        String visible = "return [...document.querySelectorAll(arguments[0])].filter(i => {"
                + " const r = i.getBoundingClientRect(); return r.width > 0 && r.bottom > 0 && r.top < innerHeight; })";
        new WebDriverWait(driver, WAIT).withMessage("visible images to load").until((Function<WebDriver, Boolean>) d ->
                Boolean.TRUE.equals(driver.executeScript(visible + ".every(i => i.complete)", selector)));
        return (List<Map<String, Object>>) driver.executeScript(visible
                + ".map(i => ({src: i.getAttribute('src'), complete: i.complete, w: i.naturalWidth, h: i.naturalHeight}))", selector);
    }

    public int[] imageSize(String selector) {
        @SuppressWarnings("unchecked")
        var size = (List<Number>) js("const i = document.querySelector(arguments[0]); return [i.naturalWidth, i.naturalHeight]", selector);
        return new int[] {size.get(0).intValue(), size.get(1).intValue()};
    }

    public String text(String selector) {
        return (String) js("const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null", selector);
    }

    @SuppressWarnings("unchecked")
    public List<String> texts(String selector) {
        return (List<String>) js("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim())", selector);
    }

    public String value(String selector) {
        return (String) js("return document.querySelector(arguments[0]).value", selector);
    }

    /** Clicks the element (by script: it may be under the sticky header). */
    public void click(String selector) {
        js("const e = document.querySelector(arguments[0]); if (!e) throw new Error('no ' + arguments[0]); e.click()", selector);
    }

    @SuppressWarnings("unchecked")
    public List<String> cardIds() {
        return (List<String>) js("return [...document.querySelectorAll('#results .card')].map(c => c.dataset.id)");
    }

    @SuppressWarnings("unchecked")
    public List<String> cardSubThemes() {
        return (List<String>) js("return [...document.querySelectorAll('#results .card')].map(c => c.dataset.subTheme)");
    }

    /** The page's query string, decoded. */
    public Map<String, String> params() {
        var out = new LinkedHashMap<String, String>();
        String query = URI.create(driver.getCurrentUrl()).getRawQuery();
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                out.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** A screenshot into target/screenshots. */
    public void screenshot(String name) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    /** A screenshot the documentation shows: docs/screenshots/name.png as well. */
    public void docScreenshot(String name) throws Exception {
        screenshot(name);
        Files.createDirectories(DOC_SCREENSHOTS);
        Files.copy(SCREENSHOTS.resolve(name + ".png"), DOC_SCREENSHOTS.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        driver.quit();
    }
}
