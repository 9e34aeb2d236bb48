package batchimage.http.server;

import batchimage.config.Settings;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.function.Function;

/**
 * Who may use the service: everyone when {@code BATCH_IMAGE_API_KEY} is not set, else requests that carry the
 * key as {@code Authorization: Bearer <key>}, {@code X-API-Key: <key>}, the cookie {@value #COOKIE} (for the
 * page's images, which cannot send headers) or, on {@code /pinecone}, {@code Api-Key: <key>} (what Pinecone
 * clients send). {@link HttpGuard} asks it for every request; the routes never do.
 */
public final class ApiAccess {

    /** The cookie the search page sets once the user has given the key. */
    public static final String COOKIE = "batch_image_key";
    /** Headers that may carry the key: the guard takes them off every request, so that nothing behind it sees the key. */
    static final String[] KEY_HEADERS = {"X-API-Key", "Api-Key"};

    /** What a request carried: no key, a key that is not this one, or this one. */
    public enum Given { NONE, WRONG, RIGHT }

    /** SHA-256 of the key: comparing digests takes the same time whatever the length and content of what was sent. */
    private final byte[] digest;

    private ApiAccess(String key) {
        this.digest = key == null || key.isBlank() ? null : sha256(key.trim());
    }

    public static ApiAccess from(Settings settings) {
        return new ApiAccess(settings.get("batch-image.api-key"));
    }

    public static ApiAccess withKey(String key) {
        return new ApiAccess(key);
    }

    /** Whether no key is needed. */
    public boolean open() {
        return digest == null;
    }

    /** How the request's headers ({@code header}: a name to its first value, or null) stand against the key. */
    public Given check(Function<String, String> header, boolean pinecone) {
        String given = given(header, pinecone);
        if (given == null || given.isBlank()) {
            return Given.NONE;
        }
        return digest != null && MessageDigest.isEqual(digest, sha256(given.trim())) ? Given.RIGHT : Given.WRONG;
    }

    private static String given(Function<String, String> header, boolean pinecone) {
        String auth = header.apply("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7);
        }
        String key = header.apply("X-API-Key");
        if (key != null) {
            return key;
        }
        if (pinecone) {
            key = header.apply("Api-Key");
            if (key != null) {
                return key;
            }
        }
        return cookie(header.apply("Cookie"));
    }

    /** The value of the page's cookie in a Cookie header, or null. */
    static String cookie(String cookies) {
        if (cookies == null) {
            return null;
        }
        for (String c : cookies.split(";")) {
            String t = c.trim();
            if (t.startsWith(COOKIE + "=")) {
                try {
                    return URLDecoder.decode(t.substring(COOKIE.length() + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return t.substring(COOKIE.length() + 1);
                }
            }
        }
        return null;
    }

    /** A Cookie header without the page's cookie, or null when nothing else is left. */
    static String withoutKeyCookie(String cookies) {
        var kept = new StringBuilder();
        for (String c : cookies.split(";")) {
            String t = c.trim();
            if (!t.isEmpty() && !t.startsWith(COOKIE + "=")) {
                kept.append(kept.isEmpty() ? "" : "; ").append(t);
            }
        }
        return kept.isEmpty() ? null : kept.toString();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e);
        }
    }
}
