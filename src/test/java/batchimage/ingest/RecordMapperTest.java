package batchimage.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordMapperTest {

    private static final String ID = "60f5dd85-d3c2-5e5a-aecf-ea44630a7d29";
    private final ObjectMapper json = new ObjectMapper();
    private final RecordMapper mapper = new RecordMapper(json, "batch_image_data_finance_final.json", "");

    private Map<String, Object> fields(String recordJson) throws Exception {
        var out = new LinkedHashMap<String, Object>();
        JsonNode node = json.readTree(recordJson);
        node.fields().forEachRemaining(e -> out.put(e.getKey(),
                e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().isNull() ? null : e.getValue()));
        return out;
    }

    @Test
    void mapsEveryColumnAsDesignSays() throws Exception {
        var r = mapper.map("BULL", 3, fields("""
                {"task_id": "%s", "prompt": "{\\"prompt\\": {\\"description\\": \\"a bull\\"}}", "file_name": "bull_01",
                 "tags": "bull, market", "file_path": "out/bull_01.png", "seed": 42}
                """.formatted(ID))).record();
        assertThat(r.id()).hasToString(ID);
        assertThat(r.name()).isEqualTo("bull_01");
        assertThat(r.prompt()).isEqualTo("{\"prompt\": {\"description\": \"a bull\"}}");
        assertThat(r.description()).isEqualTo("bull, market");
        assertThat(r.filePath()).isEqualTo("out/bull_01.png");
        assertThat(r.theme()).isEqualTo("finance");
        assertThat(r.subTheme()).isEqualTo("BULL");
        assertThat(r.extraJson()).isEqualTo("{\"seed\":42}");
        assertThat(r.position()).isEqualTo(3);
    }

    @Test
    void nameFallsBackToSubThemeAndIdPrefix() throws Exception {
        var r = mapper.map("GOOD", 0, fields("{\"task_id\": \"" + ID + "\", \"prompt\": \"x\"}")).record();
        assertThat(r.name()).isEqualTo("GOOD_60f5dd85");
    }

    @Test
    void themeComesFromRecordThenSettingThenFileName() throws Exception {
        assertThat(mapper.map("S", 0, fields("{\"task_id\": \"" + ID + "\", \"theme\": \"own\"}")).record().theme()).isEqualTo("own");
        var withDefault = new RecordMapper(json, "batch_image_data_finance_final.json", "configured");
        assertThat(withDefault.map("S", 0, fields("{\"task_id\": \"" + ID + "\"}")).record().theme()).isEqualTo("configured");
        assertThat(RecordMapper.themeOfFile("batch_image_data_sd_discord_final.json")).isEqualTo("sd_discord");
        assertThat(RecordMapper.themeOfFile("other.json")).isEqualTo("other");
    }

    @Test
    void rejectsMissingNullNumericAndMalformedTaskIds() throws Exception {
        assertThat(mapper.map("S", 1, fields("{\"prompt\": \"x\"}")).rejection().reason()).isEqualTo("no task_id, expected a UUID");
        assertThat(mapper.map("S", 1, fields("{\"task_id\": null}")).rejection().reason()).isEqualTo("task_id is null, expected a UUID");
        assertThat(mapper.map("S", 1, fields("{\"task_id\": 12}")).rejection().reason()).contains("a number", "expected a UUID");
        Rejection bad = mapper.map("S", 7, fields("{\"task_id\": \"not-a-uuid\"}")).rejection();
        assertThat(bad.reason()).isEqualTo("task_id 'not-a-uuid' is not a UUID (expected 8-4-4-4-12 hex digits)");
        assertThat(bad.field()).isEqualTo("task_id");
        assertThat(bad.describe()).isEqualTo("sub-theme 'S', index 7, field task_id: " + bad.reason());
        assertThat(bad.raw()).isEqualTo("{\"task_id\":\"not-a-uuid\"}");
        // java.util.UUID.fromString would accept this one
        assertThat(mapper.map("S", 1, fields("{\"task_id\": \"1-2-3-4-5\"}")).rejection()).isNotNull();
    }

    @Test
    void coercesTagListsAndPromptObjectsToText() throws Exception {
        var r = mapper.map("S", 0, fields("""
                {"task_id": "%s", "tags": ["cat", "sofa", 3], "prompt": {"prompt": {"description": "a cat"}}}
                """.formatted(ID))).record();
        assertThat(r.description()).isEqualTo("cat, sofa, 3");
        assertThat(r.prompt()).isEqualTo("{\"prompt\":{\"description\":\"a cat\"}}");
    }

    @Test
    void rejectsTagsThatAreObjectsAndPathsThatAreNotText() throws Exception {
        assertThat(mapper.map("S", 0, fields("{\"task_id\": \"" + ID + "\", \"tags\": {\"a\": 1}}")).rejection().field()).isEqualTo("tags");
        assertThat(mapper.map("S", 0, fields("{\"task_id\": \"" + ID + "\", \"file_path\": [\"a\"]}")).rejection().reason())
                .isEqualTo("file_path is a list, expected text");
    }

    @Test
    void rejectsNulCharactersNamingTheFieldAndKeepsTheRawRecordStorable() throws Exception {
        Rejection r = mapper.map("S", 2, fields("{\"task_id\": \"" + ID + "\", \"prompt\": \"ab\\u0000c\"}")).rejection();
        assertThat(r.field()).isEqualTo("prompt");
        assertThat(r.reason()).contains("NUL", "offset 2");
        assertThat(r.raw()).doesNotContain("\0").contains("\\u0000");
        Rejection nested = mapper.map("S", 2, fields("{\"task_id\": \"" + ID + "\", \"meta\": {\"k\": [\"\\u0000\"]}}")).rejection();
        assertThat(nested.field()).isEqualTo("meta");
    }
}
