package batchimage.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.Api;
import batchimage.support.Browser;
import batchimage.support.CrashBatch;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The page's views in a real browser (Debian's chromium, headless, through chromedriver) against the real service:
 * the media library and a file with rejected records imported and indexed into embedded PostgreSQL and the local
 * index. One test per view: similar shows images and never the record itself; the status view moves while an import
 * runs, with no reload; replay and dismiss change a letter's state; the preview's count is what is deleted; a file
 * chosen or dropped on the page lands in done/. Also the issue's own check of /?like=, /?view=status and
 * /?view=dead-letters. The screenshots of docs/PAGE.md are made here (docs/screenshots).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PageViewsBrowserTest {

    /** "A kitchen with a refrigerator, stove and oven with cabinets.", APPLIANCE, with tags and an image. */
    private static final String KITCHEN = "941c9ea4-cbc8-52fc-90b7-0516af10b093";

    private Path work;
    private Path data;
    private String db;
    private BatchImage app;
    private String base;

    @BeforeAll
    void importAndIndex(@TempDir Path folder) throws Exception {
        Assumptions.assumeTrue(Browser.installed(),
                "the browser test needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)");
        work = folder;
        data = work.resolve("data");
        Path images = Files.createDirectories(data.resolve("media").resolve("images"));
        try (var files = Files.list(TestLibrary.SHARED_DATA.resolve("media-library/images"))) {
            for (Path image : files.toList()) {
                Files.copy(image, images.resolve(image.getFileName()));
            }
        }
        db = TestPostgres.newDatabase("pageviews");
        app = TestLibrary.service(data, db);
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port") + "/";
        Path in = work.resolve("in");
        for (String f : List.of("media-library/batch_image_data_media_final.json", "malformed/batch_image_data_mixed_final.json")) {
            assertThat(app.importFile(TestLibrary.copyShared(f, in)).outcome()).isEqualTo("done");
        }
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() ->
                TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active' AND index_state <> 'indexed'") == 0);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void similarShowsImagesAndNeverTheRecordItself() throws Exception {
        try (Browser browser = new Browser(work.resolve("profile-similar"))) {
            browser.open(base + "?like=" + KITCHEN);
            browser.waitForResults();
            List<String> cards = browser.cardIds();
            assertThat(cards).isNotEmpty().doesNotContain(KITCHEN);
            // the API's own answer for the same request, in the same order
            JsonNode api = Api.of(app).get("/api/search?like=" + KITCHEN + "&top_k=24").body();
            var apiIds = new ArrayList<String>();
            api.path("matches").forEach(m -> apiIds.add(m.path("id").asText()));
            assertThat(cards).isEqualTo(apiIds);
            assertThat(browser.visibleImagesLoaded("#results .card img")).isNotEmpty().allSatisfy(img ->
                    assertThat(((Number) img.get("w")).intValue()).as("thumbnail %s", img.get("src")).isPositive());
            // the banner names the record they are like, with its thumbnail
            browser.waitFor("the banner's record", "return document.querySelector('#like-banner .like-name').textContent.includes('kitchen')");
            assertThat(browser.imageSize("#like-banner img")[0]).isPositive();
            // each hit says which lists found it
            assertThat((List<String>) browser.js("return [...document.querySelectorAll('#results .card')[0].querySelectorAll('.badge')]"
                    + ".map(b => b.dataset.list)")).isNotEmpty().isSubsetOf("prompt", "description");
            browser.docScreenshot("similar");

            // "Similar" of a hit: the records like that one, by URL, without the page reloading
            browser.js("window.__sameDocument = true");
            String second = cards.get(0);
            browser.click(".card-item:first-child .similar-link");
            browser.waitFor("the second similar search", "return location.search.includes(arguments[0])", second);
            browser.waitForResults();
            assertThat(browser.params()).containsEntry("like", second);
            assertThat(browser.cardIds()).isNotEmpty().doesNotContain(second);
            assertThat(browser.js("return window.__sameDocument === true")).isEqualTo(true);

            // the detail of a record has "Similar" too
            browser.open(base + "?q=kitchen&open=" + KITCHEN);
            browser.waitFor("the detail", "return document.querySelector('#detail').open && document.querySelector('#detail-record dl') !== null");
            browser.click("#detail-similar");
            browser.waitFor("similar from the detail", "return location.search === '?like=" + KITCHEN + "' && !document.querySelector('#detail').open");
            browser.waitForResults();
            assertThat(browser.cardIds()).isEqualTo(cards);
        }
    }

    @Test
    void replayAndDismissChangeALettersState() throws Exception {
        long notUuid = TestLibrary.count(db, "SELECT id FROM dead_letter WHERE stage = 'ingest' AND reason LIKE '%is not a UUID%' ORDER BY id LIMIT 1");
        long noTaskId = TestLibrary.count(db, "SELECT id FROM dead_letter WHERE stage = 'ingest' AND reason LIKE 'no task_id%' ORDER BY id LIMIT 1");
        try (Browser browser = new Browser(work.resolve("profile-letters"))) {
            browser.open(base + "?view=dead-letters");
            browser.waitFor("the dead letters", "return document.querySelectorAll('#dl-table tr.dl-row').length > 0");
            assertThat(browser.texts("#dl-table tr.dl-row td:first-child")).hasSize((int) TestLibrary.count(db, "SELECT count(*) FROM dead_letter"));
            browser.docScreenshot("dead-letters");

            // the record whose task_id is not a UUID, corrected in place and replayed: stored, and the letter replayed
            String row = "#dl-table tr.dl-row[data-id='" + notUuid + "']";
            assertThat(browser.text(row + " .dl-state")).isEqualTo("open");
            browser.click(row + " .dl-raw");
            browser.waitFor("the raw record", "return document.querySelector('.dl-raw-row textarea') !== null");
            String fixedId = "5f0f3a2c-6a51-4f55-9d49-2f1f3b0c7e11";
            browser.js("const a = document.querySelector('.dl-raw-row textarea'); const r = JSON.parse(a.value);"
                    + " r.task_id = arguments[0]; a.value = JSON.stringify(r, null, 2);", fixedId);
            browser.screenshot("dead-letter-correct");
            browser.click(".dl-raw-row .dl-replay-corrected");
            browser.waitFor("the replayed state", "return document.querySelector(arguments[0] + ' .dl-state').textContent === 'replayed'", row);
            assertThat(browser.text(row + " .dl-said")).isNotBlank();
            assertThat(TestLibrary.text(db, "SELECT state FROM dead_letter WHERE id = " + notUuid)).isEqualTo("replayed");
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE id = '" + fixedId + "'")).isEqualTo(1);
            assertThat(browser.js("return document.querySelector(arguments[0] + ' .dl-replay').disabled", row)).isEqualTo(true);

            // the letter without a task_id, dismissed with a note
            String other = "#dl-table tr.dl-row[data-id='" + noTaskId + "']";
            browser.click(other + " .dl-dismiss");
            browser.waitFor("the dismiss dialog", "return document.querySelector('#confirm-dialog').open");
            browser.driver.findElement(By.id("confirm-note")).sendKeys("no id in the source either");
            browser.screenshot("dead-letter-dismiss");
            browser.click("#confirm-ok");
            browser.waitFor("the dismissed state", "return document.querySelector(arguments[0] + ' .dl-state').textContent === 'dismissed'", other);
            assertThat(TestLibrary.text(db, "SELECT state || ': ' || resolution FROM dead_letter WHERE id = " + noTaskId))
                    .isEqualTo("dismissed: no id in the source either");
            assertThat(browser.text(other + " .dl-reason")).contains("no id in the source either");

            // the state filter, by URL: only the open ones are left
            browser.open(base + "?view=dead-letters&state=open");
            browser.waitFor("the open letters", "return document.querySelectorAll('#dl-table tr.dl-row').length > 0");
            assertThat(browser.texts("#dl-table tr.dl-row .dl-state")).containsOnly("open")
                    .hasSize((int) TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE state = 'open'"));
        }
    }

    @Test
    void thePreviewsCountIsWhatIsDeleted() throws Exception {
        String subTheme = "VEHICLE";
        long active = TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active' AND sub_theme = '" + subTheme + "'");
        assertThat(active).isPositive();
        try (Browser browser = new Browser(work.resolve("profile-delete"))) {
            browser.open(base + "?view=delete");
            browser.waitFor("the facets' choices", "return [...document.querySelectorAll('#delete-sub_theme option')].some(o => o.value === arguments[0])", subTheme);
            browser.js("const s = document.querySelector('#delete-sub_theme'); s.value = arguments[0]; s.dispatchEvent(new Event('change'))", subTheme);
            assertThat(browser.params()).containsEntry("view", "delete").containsEntry("sub_theme", subTheme);
            browser.click("#delete-preview");
            browser.waitFor("the preview", "return document.querySelector('.preview-matched') !== null");
            assertThat(browser.text(".preview-matched")).isEqualTo(String.valueOf(active));
            assertThat(browser.text(".preview-namespaces [data-namespace='prompt'] strong")).isEqualTo(String.valueOf(
                    TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active' AND sub_theme = '" + subTheme + "' AND prompt_fp IS NOT NULL")));
            @SuppressWarnings("unchecked")
            var sample = (List<String>) browser.js("return [...document.querySelectorAll('.preview-sample img')].map(i => i.dataset.id)");
            assertThat(sample).hasSize((int) Math.min(active, 24))
                    .containsExactlyInAnyOrderElementsOf(TestLibrary.ids(db, "status = 'active' AND sub_theme = '" + subTheme + "'"));
            assertThat(browser.visibleImagesLoaded(".preview-sample img")).allSatisfy(img ->
                    assertThat(((Number) img.get("w")).intValue()).isPositive());
            browser.docScreenshot("delete-preview");

            // Delete asks once more, with the count
            browser.click("#delete-go");
            browser.waitFor("the confirmation", "return document.querySelector('#confirm-dialog').open");
            assertThat(browser.text("#confirm-title")).isEqualTo("Delete " + active + " records?");
            assertThat(browser.text("#confirm-ok")).contains(String.valueOf(active));
            browser.screenshot("delete-confirm");
            browser.click("#confirm-ok");
            browser.waitFor("the deletion", "return document.querySelector('#delete-done') !== null");
            assertThat(browser.text("#delete-done .deleted-count")).startsWith(active + " record");
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'deleted' AND sub_theme = '" + subTheme + "'"))
                    .isEqualTo(active);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active' AND sub_theme = '" + subTheme + "'")).isZero();

            // purge is offered apart, and said to be final
            assertThat(browser.text(".small-print")).contains("Purge", "final", "cannot be undone");
        }
    }

    @Test
    void aFileChosenOrDroppedOnThePageLandsInDone() throws Exception {
        Path bom = TestLibrary.copyShared("malformed/batch_image_data_bom_final.json", work.resolve("upload"));
        try (Browser browser = new Browser(work.resolve("profile-upload"))) {
            browser.open(base);
            browser.waitFor("the page", "return document.querySelector('#library-size').textContent.length > 0");
            // chosen with "Import a file…" (the input the button opens)
            browser.js("document.querySelector('#upload-input').hidden = false");
            browser.driver.findElement(By.id("upload-input")).sendKeys(bom.toString());
            browser.waitFor("the upload's answer", "return document.querySelector('#upload-toast').classList.contains('notice-ok')");
            assertThat(browser.text("#upload-toast")).contains("batch_image_data_bom_final.json", "in the inbox");
            // the page then shows the status view, where the import shows
            browser.waitFor("the status view", "return location.search === '?view=status' && !document.querySelector('#view-status').hidden");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(data.resolve("done/batch_image_data_bom_final.json")));
            assertThat(Files.readAllBytes(data.resolve("done/batch_image_data_bom_final.json"))).isEqualTo(Files.readAllBytes(bom));
            assertThat(TestLibrary.text(db, "SELECT outcome FROM import_run WHERE file_name = 'batch_image_data_bom_final.json' ORDER BY id DESC LIMIT 1"))
                    .isEqualTo("done");
            browser.waitFor("the import in the last imports", "return [...document.querySelectorAll('#status-import td')]"
                    + ".some(td => td.textContent === 'batch_image_data_bom_final.json')");
            browser.screenshot("upload-done");

            // dropped on the page: a file the inbox would not import is refused on the page, nothing is sent
            browser.open(base);
            browser.waitFor("the page", "return document.querySelector('#library-size').textContent.length > 0");
            drop(browser, "notes.json", "{}");
            browser.waitFor("the refusal", "return document.querySelector('#upload-toast').classList.contains('notice-error')");
            assertThat(browser.text("#upload-toast")).contains("notes.json", "batch_image_data_<theme>_final.json");
            // and a batch file dropped goes in and is imported
            String records = "{\"DROPPED\": [{\"task_id\": \"0c4f2f1e-1b1a-4a59-9a0f-5e2d6b7c8d90\", \"prompt\": \"a paper boat on a pond\","
                    + " \"file_name\": \"boat.png\", \"tags\": \"boat, pond\", \"file_path\": \"\"}]}";
            drop(browser, "batch_image_data_dropped_final.json", records);
            browser.waitFor("the drop's answer", "return document.querySelector('#upload-toast').classList.contains('notice-ok')");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(data.resolve("done/batch_image_data_dropped_final.json")));
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE id = '0c4f2f1e-1b1a-4a59-9a0f-5e2d6b7c8d90'")).isEqualTo(1);
        }
    }

    /** Drops a file made in the page onto it, as a drag from the desktop would (dragenter, dragover, drop). */
    private static void drop(Browser browser, String name, String content) {
        browser.js("const dt = new DataTransfer(); dt.items.add(new File([arguments[1]], arguments[0], {type: 'application/json'}));"
                + " for (const type of ['dragenter', 'dragover', 'drop']) {"
                + "   document.body.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: dt})); }", name, content);
    }

    /**
     * The status view while a large file is imported, in a service of its own (its own database, no indexing): the
     * records done move with no reload, the figures are those of /api/stats, and at the end the active count is the new one.
     */
    @Test
    void theStatusViewMovesWhileAnImportRuns() throws Exception {
        String ownDb = TestPostgres.newDatabase("pagestatus");
        Path ownData = work.resolve("status-data");
        try (BatchImage service = TestLibrary.service(ownData, ownDb, Map.of("index.enabled", "false", "ingest.batch-size", "250"));
                Browser browser = new Browser(work.resolve("profile-status"))) {
            String url = "http://127.0.0.1:" + service.settings().get("batch-image.port") + "/";
            assertThat(service.importFile(TestLibrary.copyShared("media-library/batch_image_data_media_final.json", work.resolve("status-in"))).outcome())
                    .isEqualTo("done");
            browser.open(url + "?view=status");
            browser.waitFor("the figures", "return document.querySelector('#figure-active') !== null");
            assertThat(browser.text("#figure-active")).isEqualTo("79");
            assertThat(browser.text("#status-verdict")).containsIgnoringCase("in sync");
            assertThat(browser.text("#figure-dead-letters-open")).isEqualTo("0");
            browser.js("window.__sameDocument = true");

            int n = 400_000;
            Path big = CrashBatch.write(work.resolve("status-big"), "big", n);
            Files.createDirectories(ownData.resolve("inbox"));
            Files.move(big, ownData.resolve("inbox").resolve(big.getFileName()), StandardCopyOption.ATOMIC_MOVE);

            // records done, as the page shows them, while the import runs: more than one value, growing
            var seen = new LinkedHashSet<Long>();
            browser.waitFor("the import under way", Duration.ofSeconds(60), "return document.querySelector('#figure-import-records') !== null");
            browser.screenshot("status-importing");
            boolean screenshot = false;
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (System.nanoTime() < deadline) {
                String done = browser.text("#figure-import-records");
                if (done == null) {
                    break;
                }
                seen.add(Long.parseLong(done.replace(",", "")));
                if (!screenshot && seen.size() >= 2) {
                    browser.docScreenshot("status");
                    screenshot = true;
                }
                browser.waitFor("the next figures", Duration.ofSeconds(20),
                        "return document.querySelector('#figure-import-records') === null"
                                + " || document.querySelector('#figure-import-records').textContent !== arguments[0]", done);
            }
            assertThat(seen).as("records done shown while the import ran").hasSizeGreaterThanOrEqualTo(2);
            assertThat(new ArrayList<>(seen)).isSorted();
            assertThat(seen.stream().mapToLong(Long::longValue).max().orElse(0)).isPositive().isLessThanOrEqualTo(n);

            // once stored, the active count is the new one, still without a reload
            browser.waitFor("the new active count", Duration.ofSeconds(60),
                    "return document.querySelector('#figure-active').textContent === arguments[0]", String.format("%,d", 79 + n));
            assertThat(browser.js("return window.__sameDocument === true")).isEqualTo(true);
            assertThat(browser.text("#status-import")).contains("batch_image_data_big_final.json");
            JsonNode stats = Api.of(service).get("/api/stats").body();
            assertThat(stats.path("records").path("active").asLong()).isEqualTo(79 + n);
            assertThat(stats.path("importing")).isEmpty();
        }
    }

    /** The issue author's check: each view rendered fresh, and what it must show. */
    @Test
    void theIssuesCheck() throws Exception {
        try (Browser browser = new Browser(work.resolve("profile-check"))) {
            browser.open(base + "?like=" + KITCHEN);
            browser.waitForResults();
            assertThat(browser.visibleImagesLoaded("#results .card img")).isNotEmpty().allSatisfy(img ->
                    assertThat(((Number) img.get("w")).intValue()).isPositive());

            browser.open(base + "?view=status");
            browser.waitFor("the figures", "return document.querySelector('#figure-active') !== null");
            long active = TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active'");
            assertThat(browser.text("#figure-active")).isEqualTo(String.format("%,d", active));
            assertThat(browser.text("#view-status")).containsIgnoringCase("in sync");

            browser.open(base + "?view=dead-letters");
            browser.waitFor("the dead letters", "return document.querySelectorAll('#dl-table tr.dl-row').length > 0");
            String newest = TestLibrary.text(db, "SELECT reason FROM dead_letter ORDER BY id DESC LIMIT 1");
            assertThat(browser.text("#dl-table tr.dl-row:first-child .dl-reason")).contains(newest);
            @SuppressWarnings("unchecked")
            var buttons = (List<String>) browser.js("return [...document.querySelectorAll('#dl-table tr.dl-row:first-child button')].map(b => b.textContent)");
            assertThat(buttons).contains("Replay", "Dismiss");
        }
    }
}
