package batchimage.tooling;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.JsonType;
import com.networknt.schema.JsonValidator;
import com.networknt.schema.Keyword;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.TypeValidator;
import com.networknt.schema.ValidationContext;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks routes files against the YAML DSL's own JSON schema (schema/camelYamlDsl.json in camel-yaml-dsl, the one
 * Camel's validator plugin uses), so that a mistake is reported with its file and line before Camel loads the file:
 * by the build over routes/ ({@link #main}), at start-up and on each edit {@code run --reload} picks up.
 */
public final class RoutesSchema {

    public static final String SUFFIX = ".camel.yaml";
    private static final String SCHEMA = "/schema/camelYamlDsl.json";
    private static final ObjectMapper YAML = new YAMLMapper();

    /** One problem in a routes file; line and column are 1-based, 0 when the file gives none. */
    public record Problem(String file, int line, int column, String path, String message) {
        static Problem at(String file, JsonLocation where, String path, String message) {
            return where == null ? new Problem(file, 0, 0, path, message)
                    : new Problem(file, where.getLineNr(), where.getColumnNr(), path, message);
        }

        @Override
        public String toString() {
            return (line > 0 ? file + ":" + line + ":" + column : file) + ": " + path + ": " + message;
        }
    }

    private final JsonSchema schema;

    private RoutesSchema() {
        // the schema's own keyword "deprecated" means nothing to a validator: known, so that it is not warned about
        JsonMetaSchema meta = JsonMetaSchema.builder(JsonMetaSchema.getV4())
                .keyword(new NonValidationKeyword("deprecated"))
                .keyword(new RuntimeScalarType())
                .build();
        JsonSchemaFactory factory = JsonSchemaFactory.builder(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4))
                .metaSchema(meta)
                .build();
        // built as validation reaches each part: compiling all of it up front takes seconds, checking our routes milliseconds
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                .locale(Locale.ENGLISH)
                .pathType(PathType.JSON_PATH)
                .preloadJsonSchema(false)
                .build();
        try (InputStream in = RoutesSchema.class.getResourceAsStream(SCHEMA)) {
            if (in == null) {
                throw new IllegalStateException(SCHEMA + " is not on the class path (it comes with camel-yaml-dsl)");
            }
            schema = factory.getSchema(new ObjectMapper().readTree(in), config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + SCHEMA + ": " + e.getMessage(), e);
        }
    }

    /** The schema of the Camel on the class path: read once, on first use. */
    public static RoutesSchema camel() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final RoutesSchema INSTANCE = new RoutesSchema();
    }

    /** The routes files of a folder, by name. */
    public static List<Path> routesFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
    }

    /** The problems of the routes files in a folder (or of one file), in file and line order. */
    public List<Problem> check(Path fileOrDir) throws IOException {
        var problems = new ArrayList<Problem>();
        for (Path f : Files.isDirectory(fileOrDir) ? routesFiles(fileOrDir) : List.of(fileOrDir)) {
            problems.addAll(check(f.toString(), Files.readString(f, StandardCharsets.UTF_8)));
        }
        return problems;
    }

    /** The problems of one routes file's content; {@code file} is the name they are reported under. */
    public synchronized List<Problem> check(String file, String content) {
        JsonNode routes;
        Map<String, JsonLocation> at;
        try {
            routes = YAML.readTree(content);
            at = locations(content);
        } catch (JsonProcessingException e) {
            return List.of(Problem.at(file, e.getLocation(), "$", "not YAML: " + yamlProblem(e)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + " from memory: " + e.getMessage(), e);
        }
        if (routes == null || routes.isMissingNode()) {
            // nothing but comments: Camel loads no route from it, and neither does this check find fault
            return List.of();
        }
        var problems = new ArrayList<Problem>();
        for (ValidationMessage m : withoutBranchNoise(schema.validate(routes))) {
            problems.add(Problem.at(file, at.get(pointer(m)), m.getInstanceLocation().toString(), m.getError()));
        }
        problems.sort(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column));
        return problems;
    }

    /** Throws, with every problem listed, unless the routes files in a folder (or one file) match the schema. */
    public void requireValid(Path fileOrDir) throws IOException {
        List<Problem> problems = check(fileOrDir);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(report(fileOrDir, problems));
        }
    }

    /** A message listing the problems, one a line. */
    public static String report(Path fileOrDir, List<Problem> problems) {
        return "Camel's YAML DSL schema finds " + count(problems) + " in " + fileOrDir + ":\n"
                + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n"));
    }

    private static String count(List<Problem> problems) {
        return problems.size() + (problems.size() == 1 ? " problem" : " problems");
    }

    /**
     * A failed {@code oneOf} (a step's short form or its full form, as in {@code to: uri} or {@code to: {uri: ...}})
     * reports itself and every form: when the form of the node's own type failed on something inside it, that is
     * what the user needs, not that the node is not the other form.
     */
    private static List<ValidationMessage> withoutBranchNoise(Set<ValidationMessage> messages) {
        var noise = new HashSet<ValidationMessage>();
        for (ValidationMessage choice : messages) {
            if (!"oneOf".equals(choice.getType())) {
                continue;
            }
            var inside = messages.stream()
                    .filter(m -> m != choice && m.getEvaluationPath().startsWith(choice.getEvaluationPath()))
                    .toList();
            var otherForms = inside.stream()
                    .filter(m -> "type".equals(m.getType()) && m.getInstanceLocation().equals(choice.getInstanceLocation()))
                    .toList();
            if (inside.size() > otherForms.size()) {
                noise.add(choice);
                noise.addAll(otherForms);
            }
        }
        return messages.stream().filter(m -> !noise.contains(m)).toList();
    }

    /** The node a message is about, as a JSON pointer; for a key the schema does not allow, the key itself. */
    private static String pointer(ValidationMessage m) {
        JsonNodePath path = m.getInstanceLocation();
        JsonPointer pointer = JsonPointer.empty();
        for (int i = 0; i < path.getNameCount(); i++) {
            pointer = path.getElement(i) instanceof Integer index ? pointer.appendIndex(index) : pointer.appendProperty(path.getName(i));
        }
        if ("additionalProperties".equals(m.getType()) && m.getProperty() != null) {
            pointer = pointer.appendProperty(m.getProperty());
        }
        return pointer.toString();
    }

    /**
     * Where each node of the file starts, by JSON pointer: for a member of a mapping its key, for an item of a list
     * the item.
     */
    private static Map<String, JsonLocation> locations(String content) throws IOException {
        var at = new HashMap<String, JsonLocation>();
        try (JsonParser p = YAML.createParser(content)) {
            while (p.nextToken() != null) {
                at.putIfAbsent(p.getParsingContext().pathAsPointer().toString(), p.currentTokenLocation());
            }
        }
        return at;
    }

    /** SnakeYAML's own words for what it found, and where the construct it was in began (its message spans lines). */
    private static String yamlProblem(JsonProcessingException e) {
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException y && y.getProblem() != null) {
            String context = y.getContext() == null || y.getContextMark() == null ? ""
                    : " (" + y.getContext() + " at line " + (y.getContextMark().getLine() + 1) + ", column "
                            + (y.getContextMark().getColumn() + 1) + ")";
            return y.getProblem() + context;
        }
        return e.getOriginalMessage().lines().findFirst().orElse(e.getOriginalMessage());
    }

    /**
     * The schema's {@code type}, less strict where Camel is: the YAML DSL hands every scalar option to the model as
     * text and converts it when the route starts, so a property placeholder ({@code autoStartup: "{{x}}"}) or a quoted
     * {@code "true"} is as good as a typed value, and a number is as good as a string (CAMEL-24694, fixed in later
     * validators).
     */
    private static final class RuntimeScalarType implements Keyword {

        private static final Pattern PLACEHOLDER = Pattern.compile(".*\\{\\{.+}}.*", Pattern.DOTALL);

        @Override
        public String getValue() {
            return "type";
        }

        @Override
        public JsonValidator newValidator(SchemaLocation location, JsonNodePath evaluationPath, JsonNode schemaNode,
                JsonSchema parent, ValidationContext context) {
            var type = new TypeValidator(location, evaluationPath, schemaNode, parent, context);
            return new JsonValidator() {
                @Override
                public Set<ValidationMessage> validate(ExecutionContext ec, JsonNode node, JsonNode root, JsonNodePath at) {
                    return accepts(type.getSchemaType(), node) ? Set.of() : type.validate(ec, node, root, at);
                }

                @Override
                public SchemaLocation getSchemaLocation() {
                    return type.getSchemaLocation();
                }

                @Override
                public JsonNodePath getEvaluationPath() {
                    return type.getEvaluationPath();
                }

                @Override
                public String getKeyword() {
                    return type.getKeyword();
                }
            };
        }

        private static boolean accepts(JsonType expected, JsonNode node) {
            if (expected == JsonType.STRING) {
                return node.isNumber() || node.isBoolean();
            }
            if (!node.isTextual() || !(expected == JsonType.BOOLEAN || expected == JsonType.NUMBER || expected == JsonType.INTEGER)) {
                return false;
            }
            String text = node.textValue().trim();
            if (PLACEHOLDER.matcher(text).matches()) {
                return true;
            }
            if (expected == JsonType.BOOLEAN) {
                return text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false");
            }
            try {
                BigDecimal n = new BigDecimal(text);
                return expected == JsonType.NUMBER || n.stripTrailingZeros().scale() <= 0;
            } catch (NumberFormatException e) {
                return false;
            }
        }
    }

    /**
     * {@code RoutesSchema FILE_OR_FOLDER...}, the build's check of routes/: prints each problem as file:line:column and
     * fails when there is any (an exception, not an exit: Maven runs it in its own JVM).
     */
    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: RoutesSchema FILE_OR_FOLDER... (routes files, *" + SUFFIX + ")");
        }
        int files = 0;
        var problems = new ArrayList<Problem>();
        for (String arg : args) {
            Path p = Path.of(arg);
            files += Files.isDirectory(p) ? routesFiles(p).size() : 1;
            problems.addAll(camel().check(p));
        }
        if (!problems.isEmpty()) {
            problems.forEach(System.err::println);
            throw new RoutesDoNotMatch(count(problems) + " in the routes files (listed above): they do not match"
                    + " Camel's YAML DSL schema, " + SCHEMA.substring(1) + " in camel-yaml-dsl");
        }
        System.out.printf("%d routes %s match Camel's YAML DSL schema%n", files, files == 1 ? "file" : "files");
    }

    /** The build's failure: Maven prints it, and a stack trace there would only bury the problems printed above it. */
    private static final class RoutesDoNotMatch extends RuntimeException {
        RoutesDoNotMatch(String message) {
            super(message, null, false, false);
        }
    }
}
