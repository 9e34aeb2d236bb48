package batchimage.lineage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lineage in InvokeAI's metadata chunks.
 *
 * <p>{@code invokeai_metadata} (InvokeAI 3.0 on): a JSON object with {@code positive_prompt},
 * {@code negative_prompt}, {@code seed}, {@code steps}, {@code cfg_scale}, {@code scheduler}, {@code model} (an
 * object with {@code model_name} in 3.x, {@code name} from 4.x, or a plain string) and {@code loras} (a list of
 * {@code {"lora" | "model": {"model_name" | "name"}, "weight"}}). InvokeAI's {@code scheduler} (e.g.
 * {@code euler_a}, {@code dpmpp_2m_k}) is reported as the scheduler, the sampler stays null.
 *
 * <p>{@code sd-metadata} (InvokeAI 2.x): a JSON object whose {@code image} holds {@code prompt} (a string or a list
 * of {@code {prompt, weight}}, one per line), {@code seed}, {@code steps}, {@code cfg_scale}, {@code sampler};
 * the model is {@code model_weights}. The [bracketed] parts of a 2.x prompt are its negative prompt: they are
 * taken out of the prompt and joined with ", " into the negative prompt.
 */
public final class InvokeMetadata {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEGATIVE = Pattern.compile("\\[([^\\[\\]]*)\\]");

    private InvokeMetadata() {
    }

    /** The lineage in an {@code invokeai_metadata} chunk (generator {@code invokeai}, no size, no source). */
    public static Lineage readInvokeAi(String json) {
        LineageDraft draft = new LineageDraft();
        JsonNode root = parse(json, "invokeai_metadata", draft);
        if (root != null) {
            draft.prompt = text(root.get("positive_prompt"));
            draft.negativePrompt = text(root.get("negative_prompt"));
            draft.seed = seed(root.get("seed"), draft);
            draft.steps = root.hasNonNull("steps") ? root.get("steps").asInt() : null;
            draft.cfg = root.hasNonNull("cfg_scale") ? root.get("cfg_scale").asDouble() : null;
            draft.scheduler = text(root.get("scheduler"));
            draft.model = modelName(root.get("model"));
            for (JsonNode lora : root.path("loras")) {
                JsonNode model = lora.has("lora") ? lora.get("lora") : lora.get("model");
                String name = modelName(model);
                if (name == null) {
                    draft.problem("a LoRA in invokeai_metadata has no model name");
                    continue;
                }
                draft.loras.add(new Lineage.Lora(name, lora.hasNonNull("weight") ? lora.get("weight").asDouble()
                        : null));
            }
            if (draft.prompt == null) {
                draft.problem("no prompt found: invokeai_metadata has no positive_prompt");
            }
            if (draft.model == null) {
                draft.problem("no model found: invokeai_metadata has no model name");
            }
        }
        return draft.toLineage(Lineage.INVOKEAI, null);
    }

    /** The lineage in an {@code sd-metadata} chunk of InvokeAI 2.x (generator {@code invokeai}). */
    public static Lineage readSdMetadata(String json) {
        LineageDraft draft = new LineageDraft();
        JsonNode root = parse(json, "sd-metadata", draft);
        if (root != null) {
            JsonNode image = root.path("image");
            String prompt = prompt(image.get("prompt"));
            if (prompt == null) {
                draft.problem("no prompt found: sd-metadata has no image.prompt");
            } else {
                List<String> negatives = new ArrayList<>();
                Matcher m = NEGATIVE.matcher(prompt);
                while (m.find()) {
                    if (!m.group(1).isBlank()) {
                        negatives.add(m.group(1).strip());
                    }
                }
                draft.prompt = NEGATIVE.matcher(prompt).replaceAll("").replaceAll("[ \\t]{2,}", " ").strip();
                draft.negativePrompt = String.join(", ", negatives);
            }
            draft.seed = seed(image.get("seed"), draft);
            draft.steps = image.hasNonNull("steps") ? image.get("steps").asInt() : null;
            draft.cfg = image.hasNonNull("cfg_scale") ? image.get("cfg_scale").asDouble() : null;
            draft.sampler = text(image.get("sampler"));
            draft.model = text(root.get("model_weights"));
            if (draft.model == null) {
                draft.problem("no model found: sd-metadata has no model_weights");
            }
        }
        return draft.toLineage(Lineage.INVOKEAI, null);
    }

    private static JsonNode parse(String json, String chunk, LineageDraft draft) {
        try {
            JsonNode root = JSON.readTree(json);
            if (root != null && root.isObject()) {
                return root;
            }
            draft.problem(chunk + " is not a JSON object");
        } catch (JsonProcessingException e) {
            draft.problem(chunk + " is not valid JSON: " + e.getOriginalMessage());
        }
        return null;
    }

    /** A string, or a 2.x list of {prompt, weight}: the prompts one per line. */
    private static String prompt(JsonNode prompt) {
        if (prompt == null || !prompt.isArray()) {
            return text(prompt);
        }
        List<String> parts = new ArrayList<>();
        for (JsonNode part : prompt) {
            String text = part.isTextual() ? part.asText() : text(part.get("prompt"));
            if (text != null) {
                parts.add(text);
            }
        }
        return parts.isEmpty() ? null : String.join("\n", parts);
    }

    /** {@code model_name} (3.x), {@code name} (4.x), {@code key}, or the node itself when it is a string. */
    private static String modelName(JsonNode model) {
        if (model == null || model.isNull()) {
            return null;
        }
        if (model.isTextual()) {
            return model.asText();
        }
        for (String field : List.of("model_name", "name", "key")) {
            if (model.hasNonNull(field) && model.get(field).isTextual()) {
                return model.get(field).asText();
            }
        }
        return null;
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static Long seed(JsonNode seed, LineageDraft draft) {
        if (seed == null || seed.isNull()) {
            return null;
        }
        if (!seed.isIntegralNumber()) {
            draft.problem("seed " + seed + " is not an integer");
            return null;
        }
        BigInteger big = seed.bigIntegerValue();
        if (big.bitLength() > 63) {
            draft.problem("seed " + big + " does not fit a 64-bit signed integer");
            return null;
        }
        return big.longValue();
    }
}
