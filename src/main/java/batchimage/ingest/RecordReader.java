package batchimage.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.CharConversionException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Streams a batch file as {@link Batch}es: a Jackson {@link JsonParser} walks the top-level object of
 * sub-theme arrays and yields a batch every {@code batchSize} entries, so memory stays flat however
 * big the file is. Entries that cannot be records become {@link Rejection}s; a file that cannot be
 * read as a whole throws {@link BatchFileException} naming line, column, sub-theme and record.
 */
public final class RecordReader implements Iterator<Batch>, Closeable {

    /** JSON nesting allowed inside one record; deeper is treated as a broken file. */
    public static final int MAX_NESTING = 200;

    private final String fileName;
    private final JsonParser parser;
    private final RecordMapper mapper;
    private final ObjectMapper json;
    private final int batchSize;
    private final long fileBytes;

    private String subTheme;
    private int position;
    private boolean inArray;
    private boolean finished;
    private Batch next;
    private long entriesRead;

    public RecordReader(Path file, ObjectMapper json, RecordMapper mapper, int batchSize) throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
        }
        this.fileName = file.getFileName().toString();
        this.json = json;
        this.mapper = mapper;
        this.batchSize = batchSize;
        this.fileBytes = Files.size(file);
        JsonFactory factory = json.getFactory().copy();
        factory.setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING)
                .maxStringLength(64 * 1024 * 1024)
                .build());
        InputStream in = Files.newInputStream(file);
        this.parser = factory.createParser(in);
        this.parser.setCodec(json);
        start();
    }

    private void start() {
        JsonToken first = token();
        if (first == null) {
            throw fileError("the file is empty (expected a JSON object of sub-theme arrays)", null);
        }
        if (first != JsonToken.START_OBJECT) {
            throw fileError("the top level is " + describe(first)
                    + ", expected a JSON object whose keys are sub-themes holding arrays of records", null);
        }
    }

    /** Bytes of the file consumed so far, for progress. */
    public long bytesRead() {
        return parser.currentLocation().getByteOffset();
    }

    public long fileBytes() {
        return fileBytes;
    }

    public long entriesRead() {
        return entriesRead;
    }

    @Override
    public boolean hasNext() {
        if (next == null && !finished) {
            try {
                next = readBatch();
            } catch (RuntimeException e) {
                // a broken file fails once; whoever asks again (the splitter, when it winds up) hears "no more"
                finished = true;
                throw e;
            }
        }
        return next != null;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Batch b = next;
        next = null;
        return b;
    }

    private Batch readBatch() {
        var records = new ArrayList<ImageRecord>(batchSize);
        var rejections = new ArrayList<Rejection>();
        int entries = 0;
        while (entries < batchSize) {
            if (!inArray) {
                JsonToken t = token();
                if (t == JsonToken.END_OBJECT) {
                    JsonToken after = token();
                    if (after != null) {
                        throw fileError("unexpected " + describe(after) + " after the end of the top-level object", null);
                    }
                    finished = true;
                    break;
                }
                if (t != JsonToken.FIELD_NAME) {
                    throw fileError("expected a sub-theme key, found " + describe(t), null);
                }
                subTheme = name();
                position = 0;
                JsonToken value = token();
                if (value == JsonToken.START_ARRAY) {
                    inArray = true;
                    continue;
                }
                String raw = valueAsText(value);
                rejections.add(new Rejection(subTheme, -1, null, null,
                        "sub-theme '" + subTheme + "' holds " + describe(value) + ", expected an array of records", raw));
                entries++;
                entriesRead++;
                continue;
            }
            JsonToken t = token();
            if (t == JsonToken.END_ARRAY) {
                inArray = false;
                continue;
            }
            int pos = position++;
            if (t != JsonToken.START_OBJECT) {
                String raw = valueAsText(t);
                rejections.add(new Rejection(subTheme, pos, null, null,
                        "entry is " + describe(t) + ", expected a record object", raw));
                entries++;
                entriesRead++;
                continue;
            }
            Map<String, Object> fields = readFields();
            entries++;
            entriesRead++;
            var result = mapper.map(subTheme, pos, fields);
            if (result.record() != null) {
                records.add(result.record());
            } else {
                rejections.add(result.rejection());
            }
        }
        if (entries == 0) {
            return null;
        }
        return new Batch(records, rejections, entries, bytesRead(), null);
    }

    private Map<String, Object> readFields() {
        var fields = new LinkedHashMap<String, Object>(8);
        while (true) {
            JsonToken t = token();
            if (t == JsonToken.END_OBJECT) {
                return fields;
            }
            String key = name();
            JsonToken v = token();
            if (v == JsonToken.VALUE_STRING) {
                fields.put(key, text());
            } else if (v == JsonToken.VALUE_NULL) {
                fields.put(key, null);
            } else {
                fields.put(key, tree());
            }
        }
    }

    private String valueAsText(JsonToken t) {
        if (t == JsonToken.VALUE_STRING) {
            return json.getNodeFactory().textNode(text()).toString();
        }
        return tree().toString();
    }

    // ---- parser access, translating Jackson's failures into a report a user can act on

    private JsonToken token() {
        try {
            return parser.nextToken();
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private String name() {
        try {
            return parser.currentName();
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private String text() {
        try {
            return parser.getText();
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private JsonNode tree() {
        try {
            JsonNode n = parser.readValueAsTree();
            return n;
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private BatchFileException translate(IOException e) {
        String problem;
        if (e instanceof JsonEOFException) {
            problem = "the JSON ends in the middle of " + (inArray ? "a record" : "the file")
                    + " (the file is truncated or was still being written)";
        } else if (e instanceof CharConversionException || String.valueOf(e.getMessage()).contains("Invalid UTF-8")) {
            problem = "the file is not UTF-8 (" + firstLine(e) + "); it looks like Latin-1 or Windows-1252: save it as UTF-8";
        } else if (e instanceof StreamConstraintsException) {
            problem = "the JSON is nested too deeply or holds a value too large (" + firstLine(e) + ")";
        } else if (e instanceof JsonProcessingException) {
            problem = "not valid JSON: " + firstLine(e);
        } else {
            problem = "cannot read the file: " + e;
        }
        return fileError(problem, e);
    }

    private BatchFileException fileError(String problem, Throwable cause) {
        JsonLocation loc = cause instanceof JsonProcessingException jpe && jpe.getLocation() != null
                ? jpe.getLocation() : parser.currentLocation();
        String where = subTheme == null ? null
                : inArray ? "sub-theme '" + subTheme + "', index " + Math.max(0, position - 1)
                : "sub-theme '" + subTheme + "'";
        return new BatchFileException(fileName, problem, loc.getLineNr(), loc.getColumnNr(), where, cause);
    }

    private static String firstLine(Exception e) {
        String m = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "the end of the file";
        }
        return switch (t) {
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
