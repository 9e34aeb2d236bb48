package batchimage.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;
import org.apache.camel.Exchange;

/** An HTTP answer of the app's JSON APIs: status and body, sent from a platform-http route. */
public record JsonAnswer(int status, byte[] body) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The app's error shape: {@code {"error": message, "status": status}}. */
    public static JsonAnswer error(int status, String message) {
        return of(status, errorBody(status, message, null));
    }

    /** An error that points at the offending part of the request ({@code field}, e.g. {@code filter.theme.$eq}). */
    public static JsonAnswer error(int status, String message, String field) {
        return of(status, errorBody(status, message, field));
    }

    private static Object errorBody(int status, String message, String field) {
        var m = new LinkedHashMap<String, Object>();
        m.put("error", message);
        m.put("status", status);
        if (field != null) {
            m.put("field", field);
        }
        return m;
    }

    /** Any value as JSON. */
    public static JsonAnswer of(int status, Object value) {
        try {
            return new JsonAnswer(status, JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an answer as JSON: " + e.getMessage(), e);
        }
    }

    /** Sends it: status, content type, body, and none of the request's headers. */
    public void send(Exchange ex) {
        var m = ex.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setBody(body);
    }
}
