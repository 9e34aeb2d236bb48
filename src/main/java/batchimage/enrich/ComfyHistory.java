package batchimage.enrich;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What ComfyUI's {@code GET /history/{prompt_id}} says of a task (../shared/docs/PROTOCOLS.md, C.2 and C.4):
 * finished with its output images and tagger output, not finished (or unknown: {@code {}}), or failed.
 */
public sealed interface ComfyHistory {

    /** An output image: {@code <subfolder>/<filename>} in ComfyUI's folder of {@code type} (output or temp). */
    record Image(String filename, String subfolder, String type) {
    }

    /** Done: its images (output before temp) and one tag string per image of the tagger's batch, unescaped. */
    record Finished(List<Image> images, List<String> tags) implements ComfyHistory {
        /** The tags of image {@code i}, else of the first image; empty when the workflow has no tagger. */
        public String tagsOf(int i) {
            return tags.isEmpty() ? "" : i < tags.size() ? tags.get(i) : tags.get(0);
        }
    }

    /** {@code {}}: not finished yet, or a task ComfyUI does not know (it keeps the last 10,000). */
    record NotFinished() implements ComfyHistory {
    }

    /** {@code status_str: error}: the task failed; it will not produce anything. */
    record Failed(String reason) implements ComfyHistory {
    }

    /**
     * Reads an answer for {@code promptId}. {@code taggerNode}: the tagger's node id, or blank to take the
     * first output node that has a {@code tags} list.
     */
    static ComfyHistory parse(JsonNode answer, String promptId, String taggerNode) {
        JsonNode entry = answer.path(promptId);
        if (!entry.isObject() || entry.isEmpty()) {
            return new NotFinished();
        }
        JsonNode status = entry.path("status");
        if ("error".equals(status.path("status_str").asText())) {
            return new Failed(errorOf(status));
        }
        if (status.isObject() && status.has("completed") && !status.path("completed").asBoolean()) {
            return new Failed("ComfyUI did not complete the task (status " + status.path("status_str").asText("?") + ")");
        }
        var outputs = entry.path("outputs");
        var images = new ArrayList<Image>();
        var temp = new ArrayList<Image>();
        List<String> tags = List.of();
        for (Iterator<Map.Entry<String, JsonNode>> it = outputs.fields(); it.hasNext();) {
            var node = it.next();
            for (JsonNode img : node.getValue().path("images")) {
                String filename = img.path("filename").asText("");
                if (filename.isBlank()) {
                    continue;
                }
                var image = new Image(filename, img.path("subfolder").asText(""), img.path("type").asText("output"));
                (image.type().equals("output") ? images : temp).add(image);
            }
            JsonNode t = node.getValue().path("tags");
            boolean chosen = taggerNode == null || taggerNode.isBlank() ? tags.isEmpty() : taggerNode.equals(node.getKey());
            if (chosen && t.isArray()) {
                var list = new ArrayList<String>();
                t.forEach(s -> list.add(cleanTags(s.asText(""))));
                tags = list;
            }
        }
        images.addAll(temp);
        return new Finished(images, tags);
    }

    private static String errorOf(JsonNode status) {
        for (JsonNode m : status.path("messages")) {
            if (m.isArray() && "execution_error".equals(m.path(0).asText())) {
                JsonNode d = m.path(1);
                String node = d.path("node_type").asText(d.path("node_id").asText("?"));
                return "ComfyUI failed the task in " + node + ": " + d.path("exception_type").asText("error") + ": "
                        + d.path("exception_message").asText("").strip();
            }
            if (m.isArray() && "execution_interrupted".equals(m.path(0).asText())) {
                return "ComfyUI's task was interrupted";
            }
        }
        return "ComfyUI failed the task (status_str: error)";
    }

    /** The tagger's string as tags: {@code \(} {@code \)} unescaped, trimmed, empty ones (a trailing comma) dropped. */
    static String cleanTags(String raw) {
        String unescaped = raw.replace("\\(", "(").replace("\\)", ")");
        return Arrays.stream(unescaped.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .collect(Collectors.joining(", "));
    }
}
