package batchimage.lineage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lineage in the {@code parameters} chunk of Automatic1111, Forge and SD.Next: the positive prompt (any number
 * of lines), then from a line starting {@code Negative prompt:} the negative prompt (any number of lines), then one
 * last line of {@code Key: value} settings separated by {@code ", "}, where a value holding commas is in double
 * quotes.
 *
 * <p>Read: Steps, Sampler, Schedule type (the scheduler; older versions put it in the sampler name, e.g.
 * {@code DPM++ 2M Karras}, and have no Schedule type: then the sampler is kept whole and the scheduler is null),
 * CFG scale, Seed, Model. LoRAs come from the {@code <lora:name:weight>} tags of the prompt (weight 1.0 when the tag
 * has none); the tags stay in the prompt text, which is kept as written. With no negative prompt line the negative
 * prompt is the empty string, as A1111 means it.
 */
public final class A1111Parameters {

    /** A1111's own pattern for one setting of the last line (modules/infotext_utils.py). */
    private static final Pattern SETTING =
            Pattern.compile("\\s*(\\w[\\w \\-/]+):\\s*(\"(?:\\\\.|[^\\\\\"])+\"|[^,]*)(?:,|$)");
    private static final Pattern LORA = Pattern.compile("<(?:lora|lyco):([^:>]+)(?::([^:>]*))?(?::[^>]*)?>");
    private static final String NEGATIVE = "Negative prompt:";

    /**
     * The chunk taken apart.
     *
     * @param settings the last line's settings in order, quoted values unquoted
     */
    public record Parsed(String prompt, String negativePrompt, Map<String, String> settings) {
    }

    private A1111Parameters() {
    }

    /** Splits the text of a {@code parameters} chunk into prompt, negative prompt and settings. */
    public static Parsed parse(String text) {
        List<String> lines = new ArrayList<>(List.of(text.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1)));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        if (!lines.isEmpty()) {
            String last = lines.get(lines.size() - 1);
            Map<String, String> parsed = settings(last);
            boolean known = parsed.containsKey("Seed") || parsed.containsKey("Sampler");
            if (last.startsWith("Steps: ") || (parsed.size() >= 3 && known)) {
                settings = parsed;
                lines.remove(lines.size() - 1);
            }
        }
        int negative = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(NEGATIVE)) {
                negative = i;
                break;
            }
        }
        String prompt;
        String negativePrompt = "";
        if (negative < 0) {
            prompt = String.join("\n", lines).strip();
        } else {
            prompt = String.join("\n", lines.subList(0, negative)).strip();
            List<String> neg = new ArrayList<>(lines.subList(negative, lines.size()));
            neg.set(0, neg.get(0).substring(NEGATIVE.length()));
            negativePrompt = String.join("\n", neg).strip();
        }
        return new Parsed(prompt, negativePrompt, settings);
    }

    /** The settings of one line, in order; quoted values unquoted. */
    static Map<String, String> settings(String line) {
        Map<String, String> settings = new LinkedHashMap<>();
        Matcher m = SETTING.matcher(line);
        while (m.find()) {
            if (m.group(0).isEmpty()) {
                break;
            }
            String value = m.group(2).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = unquote(value.substring(1, value.length() - 1));
            }
            settings.putIfAbsent(m.group(1).strip(), value);
        }
        return settings;
    }

    private static String unquote(String quoted) {
        StringBuilder out = new StringBuilder(quoted.length());
        for (int i = 0; i < quoted.length(); i++) {
            char c = quoted.charAt(i);
            if (c == '\\' && i + 1 < quoted.length()) {
                char n = quoted.charAt(++i);
                out.append(n == 'n' ? '\n' : n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The lineage in the text of a {@code parameters} chunk (generator {@code a1111}, no size, no source). */
    public static Lineage read(String text) {
        Parsed parsed = parse(text);
        LineageDraft draft = new LineageDraft();
        Map<String, String> s = parsed.settings();
        draft.prompt = parsed.prompt();
        draft.negativePrompt = parsed.negativePrompt();
        if (parsed.prompt().isEmpty()) {
            draft.problem("no prompt found: the parameters chunk has no prompt text");
        }
        if (s.isEmpty()) {
            draft.problem("no settings line (Steps: ..., Sampler: ...) in the parameters chunk");
        }
        draft.steps = number(s, "Steps", draft, Integer::valueOf);
        draft.sampler = s.get("Sampler");
        draft.scheduler = s.get("Schedule type");
        draft.cfg = number(s, "CFG scale", draft, Double::valueOf);
        draft.seed = number(s, "Seed", draft, Long::valueOf);
        draft.model = s.get("Model");
        if (draft.model == null && !s.isEmpty()) {
            draft.problem("no Model in the parameters chunk"
                    + (s.containsKey("Model hash") ? " (only Model hash " + s.get("Model hash") + ")" : ""));
        }
        Matcher lora = LORA.matcher(parsed.prompt());
        while (lora.find()) {
            draft.loras.add(new Lineage.Lora(lora.group(1).strip(), weight(lora.group(2), lora.group(0), draft)));
        }
        return draft.toLineage(Lineage.A1111, null);
    }

    private static Double weight(String weight, String tag, LineageDraft draft) {
        if (weight == null || weight.isBlank()) {
            return 1.0;
        }
        try {
            return Double.valueOf(weight.strip());
        } catch (NumberFormatException e) {
            draft.problem("LoRA tag " + tag + " has weight '" + weight + "', not a number");
            return null;
        }
    }

    private static <T> T number(Map<String, String> settings, String key, LineageDraft draft,
                                java.util.function.Function<String, T> parse) {
        String value = settings.get(key);
        if (value == null) {
            return null;
        }
        try {
            return parse.apply(value.strip());
        } catch (NumberFormatException e) {
            draft.problem(key + " '" + value + "' is not a number");
            return null;
        }
    }
}
