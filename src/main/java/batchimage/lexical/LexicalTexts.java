package batchimage.lexical;

import batchimage.index.IndexTexts;
import java.util.regex.Pattern;

/**
 * What a record gives the lexical side (docs/ARCHITECTURE.md "Hybrid search"): its tags, the prompt text the
 * {@code prompt} namespace embeds, and its name, each cleaned of the prompt syntax that image generators read
 * and people do not type. {@link LexicalIndex} analyses each as a field of its own (English stemming and stop
 * words), and a query weighs a word found in the tags, the prompt or the name differently.
 *
 * <p>Removed: attention weights ({@code (word:1.2)} and {@code ((word))} become {@code word}), de-emphasis
 * ({@code [word]}), alternation braces, escaped parentheses, {@code BREAK}, and the extra-network tags
 * ({@code <lora:name:0.7>} keeps {@code name}, a word people do search by). Underscores in tags and names are
 * spaces ({@code long_hair} is {@code long hair}).
 */
public final class LexicalTexts {

    /**
     * The version of these rules and of the lexical index's fields. An index made under another version is made
     * again from the library when its process starts; change it with every change of what the words are made of.
     */
    public static final int RULES = 2;

    /** Text past this many characters adds nothing a search needs and costs the index. */
    static final int MAX_CHARS = 20_000;

    private static final Pattern EXTRA_NETWORK = Pattern.compile("<\\s*(?:lora|lyco|hypernet|embedding)\\s*:\\s*([^:>]*)(?::[^>]*)?>",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern OTHER_ANGLE = Pattern.compile("<[^<>]{0,200}>");
    private static final Pattern WEIGHT = Pattern.compile(":\\s*[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)\\s*(?=[)\\]])");
    private static final Pattern BREAK = Pattern.compile("\\bBREAK\\b");
    private static final Pattern SYNTAX = Pattern.compile("\\\\?[()\\[\\]{}|]");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private LexicalTexts() {
    }

    /** A prompt's text (as {@link IndexTexts#promptText} gives it) without generator syntax. */
    public static String prompt(String promptText) {
        if (promptText == null || promptText.isBlank()) {
            return "";
        }
        String s = cap(promptText);
        s = EXTRA_NETWORK.matcher(s).replaceAll(m -> " " + m.group(1).replace('_', ' ').replace('$', ' ') + " ");
        s = OTHER_ANGLE.matcher(s).replaceAll(" ");
        s = WEIGHT.matcher(s).replaceAll("");
        s = BREAK.matcher(s).replaceAll(" ");
        s = SYNTAX.matcher(s).replaceAll(" ");
        return SPACES.matcher(s).replaceAll(" ").strip();
    }

    /** The tags (a comma-separated description), underscores as spaces, one tag a phrase. */
    public static String tags(String description) {
        if (description == null || description.isBlank()) {
            return "";
        }
        String s = cap(description).replace('_', ' ');
        s = WEIGHT.matcher(s).replaceAll("");
        s = SYNTAX.matcher(s).replaceAll(" ");
        return SPACES.matcher(s).replaceAll(" ").strip();
    }

    /** A record's name (the file name without extension), underscores as spaces (the analyzer cuts at dashes). */
    public static String name(String name) {
        if (name == null || name.isBlank()) {
            return "";
        }
        return SPACES.matcher(cap(name).replace('_', ' ')).replaceAll(" ").strip();
    }

    private static String cap(String s) {
        if (s.length() <= MAX_CHARS) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS;
        return s.substring(0, end);
    }
}
