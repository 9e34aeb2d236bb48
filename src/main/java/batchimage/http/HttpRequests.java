package batchimage.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;

/** What the app's platform-http routes read from a request: the query string and a JSON body. */
public final class HttpRequests {

    private HttpRequests() {
    }

    /** The query string with repeated keys kept ({@code ids=a&ids=b}), decoded as a form ({@code +} is a space). */
    public static Map<String, List<String>> query(Exchange ex) {
        String raw = ex.getMessage().getHeader(Exchange.HTTP_RAW_QUERY, String.class);
        var out = new LinkedHashMap<String, List<String>>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    /**
     * A whole number given as text (a query parameter) from {@code min} to {@code max}; null or blank: {@code whenBlank}.
     * Anything else is 400 naming the parameter; {@code unit} (as " of seconds", or "") goes into its message.
     */
    public static int wholeNumber(String name, String value, int whenBlank, int min, int max, String unit) {
        if (value == null || value.isBlank()) {
            return whenBlank;
        }
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badRequest(name, name + " must be a whole number" + unit + " from " + min + " to " + max + ", found '" + value + "'");
    }

    /** The first value of a query parameter, or null. */
    public static String first(Map<String, List<String>> query, String key) {
        List<String> v = query.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /**
     * The JSON body. {@code curl -d} labels it application/x-www-form-urlencoded, and the HTTP server then
     * parses it as a form whose one field name is the JSON text: that name is the body.
     */
    public static byte[] jsonBody(Exchange ex) {
        var m = ex.getMessage();
        byte[] body = m.getBody(byte[].class);
        String type = m.getHeader(Exchange.CONTENT_TYPE, "", String.class);
        if ((body == null || body.length == 0) && type.startsWith("application/x-www-form-urlencoded")) {
            for (var e : m.getHeaders().entrySet()) {
                String name = e.getKey().strip();
                if ((name.startsWith("{") || name.startsWith("[")) && (e.getValue() == null || e.getValue().toString().isEmpty())) {
                    return name.getBytes(StandardCharsets.UTF_8);
                }
            }
        }
        return body;
    }
}
