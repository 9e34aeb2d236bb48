package batchimage.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Jackson for what clients send: no request of any API nests deeper than {@value #MAX_DEPTH} (a filter at its
 * deepest is under half that), and a body nested deeper is refused as not JSON while it is parsed, long before
 * anything that walks the tree could run out of stack.
 */
public final class RequestJson {

    public static final int MAX_DEPTH = 64;

    private RequestJson() {
    }

    /** A mapper builder whose parsers refuse documents nested deeper than {@value #MAX_DEPTH}. */
    public static JsonMapper.Builder builder() {
        var factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                .build();
        return JsonMapper.builder(factory);
    }

    public static ObjectMapper mapper() {
        return builder().build();
    }
}
