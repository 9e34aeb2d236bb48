package batchimage.web;

import batchimage.config.Settings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.apache.camel.Exchange;

/**
 * Who may use {@code /api/*}: everyone when {@code BATCH_IMAGE_API_KEY} is not set, else requests that
 * carry the key as {@code Authorization: Bearer <key>}, {@code X-API-Key: <key>} or (for the page's
 * images, which cannot send headers) the cookie {@value #COOKIE}.
 */
public final class ApiAccess {

    /** The cookie the search page sets once the user has given the key. */
    public static final String COOKIE = "batch_image_key";

    private final byte[] key;

    private ApiAccess(String key) {
        this.key = key == null || key.isBlank() ? null : key.trim().getBytes(StandardCharsets.UTF_8);
    }

    public static ApiAccess from(Settings settings) {
        return new ApiAccess(settings.get("batch-image.api-key"));
    }

    public static ApiAccess withKey(String key) {
        return new ApiAccess(key);
    }

    /** Whether no key is needed. */
    public boolean open() {
        return key == null;
    }

    /** Whether the request may go on; if not, its answer is already a 401 with a JSON reason. */
    public boolean admit(Exchange ex) {
        if (key == null || matches(given(ex))) {
            return true;
        }
        JsonAnswer.error(401, "this API wants the key of BATCH_IMAGE_API_KEY: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
                .send(ex);
        ex.getMessage().setHeader("WWW-Authenticate", "Bearer realm=\"batch-image\"");
        return false;
    }

    private boolean matches(String given) {
        return given != null && MessageDigest.isEqual(key, given.trim().getBytes(StandardCharsets.UTF_8));
    }

    private static String given(Exchange ex) {
        var m = ex.getMessage();
        String auth = m.getHeader("Authorization", String.class);
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7);
        }
        String header = m.getHeader("X-API-Key", String.class);
        if (header != null) {
            return header;
        }
        String cookies = m.getHeader("Cookie", String.class);
        if (cookies != null) {
            for (String c : cookies.split(";")) {
                String t = c.trim();
                if (t.startsWith(COOKIE + "=")) {
                    return java.net.URLDecoder.decode(t.substring(COOKIE.length() + 1), StandardCharsets.UTF_8);
                }
            }
        }
        return null;
    }
}
