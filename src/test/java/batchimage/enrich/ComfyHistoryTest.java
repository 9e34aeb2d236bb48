package batchimage.enrich;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ComfyUI's /history answers as PROTOCOLS.md C.2 and C.4 describe them. */
class ComfyHistoryTest {

    private final ObjectMapper json = new ObjectMapper();
    private static final String ID = "a1b2c3d4-0000-4000-8000-000000000001";

    private ComfyHistory parse(String answer, String taggerNode) throws Exception {
        return ComfyHistory.parse(json.readTree(answer.replace("ID", ID)), ID, taggerNode);
    }

    @Test
    void anEmptyAnswerIsNotFinished() throws Exception {
        assertThat(parse("{}", "")).isInstanceOf(ComfyHistory.NotFinished.class);
        assertThat(parse("{\"other\": {\"outputs\": {}}}", "")).isInstanceOf(ComfyHistory.NotFinished.class);
    }

    @Test
    void imagesAndTheTaggersTagsAreRead() throws Exception {
        var h = parse("""
                {"ID": {"prompt": [1, "ID", {}, {}, ["9"]],
                  "outputs": {"5": {"images": [{"filename": "prev_00001_.png", "subfolder": "", "type": "temp"}]},
                              "9": {"images": [{"filename": "ComfyUI_00001_.png", "subfolder": "day1", "type": "output"},
                                               {"filename": "ComfyUI_00002_.png", "subfolder": "day1", "type": "output"}]},
                              "12": {"tags": ["1girl, solo, \\\\(cosplay\\\\), ", "outdoors,  sky"]},
                              "13": {"tags": ["from the other tagger"]}},
                  "status": {"status_str": "success", "completed": true, "messages": []}, "meta": {}}}""", "");
        assertThat(h).isInstanceOf(ComfyHistory.Finished.class);
        var f = (ComfyHistory.Finished) h;
        assertThat(f.images()).containsExactly(new ComfyHistory.Image("ComfyUI_00001_.png", "day1", "output"),
                new ComfyHistory.Image("ComfyUI_00002_.png", "day1", "output"), new ComfyHistory.Image("prev_00001_.png", "", "temp"));
        assertThat(f.tags()).containsExactly("1girl, solo, (cosplay)", "outdoors, sky");
        assertThat(f.tagsOf(1)).isEqualTo("outdoors, sky");
        assertThat(f.tagsOf(7)).isEqualTo("1girl, solo, (cosplay)");
        assertThat(ComfyLookup.imageOf(f.images(), "ComfyUI")).isEqualTo(0);
        assertThat(ComfyLookup.imageOf(f.images(), "ComfyUI_00002_")).isEqualTo(1);
        assertThat(ComfyLookup.imageOf(f.images(), "prev")).isEqualTo(2);

        var named = (ComfyHistory.Finished) parse("""
                {"ID": {"outputs": {"12": {"tags": ["a"]}, "13": {"tags": ["b, c"]}}, "status": {"status_str": "success", "completed": true}}}""", "13");
        assertThat(named.tags()).isEqualTo(List.of("b, c"));
    }

    @Test
    void aFailedTaskSaysWhy() throws Exception {
        var h = parse("""
                {"ID": {"outputs": {}, "status": {"status_str": "error", "completed": false, "messages": [
                  ["execution_start", {"prompt_id": "ID", "timestamp": 1}],
                  ["execution_error", {"prompt_id": "ID", "node_id": "3", "node_type": "KSampler",
                    "exception_type": "RuntimeError", "exception_message": "shape mismatch\\n", "timestamp": 2}]]}}}""", "");
        assertThat(h).isEqualTo(new ComfyHistory.Failed("ComfyUI failed the task in KSampler: RuntimeError: shape mismatch"));
        assertThat(parse("""
                {"ID": {"outputs": {}, "status": {"status_str": "error", "completed": false, "messages": [["execution_interrupted", {}]]}}}""", ""))
                .isEqualTo(new ComfyHistory.Failed("ComfyUI's task was interrupted"));
    }
}
