package batchimage.http.server;

import batchimage.http.JsonAnswer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The APIs the service answers on one port, told apart by path: each refuses in its own error shape, so that
 * its clients read the refusal (Pinecone's SDKs an rpcStatus, OpenAI's an {@code error} object), and each has
 * its own largest request body.
 */
public enum Surface {

    /** {@code /api/*}, images, {@code /api-doc}, {@code /observe/*}, the page: the app's {@code {"error", "status"}} (web/JsonAnswer). */
    API("http.max-body-bytes"),
    /** {@code /pinecone/*}: Pinecone's data plane, {@code {"code": <gRPC code>, "message", "details": []}} (PROTOCOLS.md A.7). */
    PINECONE("pinecone.max-request-bytes"),
    /** {@code /pinecone/indexes*}: Pinecone's control plane, {@code {"error": {"code", "message"}, "status"}} (PROTOCOLS.md A.7). */
    PINECONE_CONTROL("pinecone.max-request-bytes"),
    /** {@code /v1/*}: OpenAI's {@code {"error": {"message", "type", "param", "code"}}} (PROTOCOLS.md B.1). */
    OPENAI("local-embeddings.max-request-bytes");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The setting that holds its largest request body, in bytes. */
    public final String maxBodySetting;

    Surface(String maxBodySetting) {
        this.maxBodySetting = maxBodySetting;
    }

    /** The API a (normalized) request path belongs to. */
    public static Surface of(String path) {
        if (path == null) {
            return API;
        }
        if (under(path, "/pinecone/indexes")) {
            return PINECONE_CONTROL;
        }
        if (under(path, "/pinecone")) {
            return PINECONE;
        }
        if (under(path, "/v1")) {
            return OPENAI;
        }
        return API;
    }

    private static boolean under(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    /** The body of an error answer with that HTTP status in this API's shape. */
    public byte[] error(int status, String message) {
        return switch (this) {
            case API -> JsonAnswer.error(status, message).body();
            case PINECONE -> {
                ObjectNode e = JSON.createObjectNode();
                e.put("code", grpcCode(status));
                e.put("message", message);
                e.putArray("details");
                yield write(e);
            }
            case PINECONE_CONTROL -> {
                ObjectNode e = JSON.createObjectNode();
                e.putObject("error").put("code", controlCode(status)).put("message", message);
                e.put("status", status);
                yield write(e);
            }
            case OPENAI -> {
                ObjectNode e = JSON.createObjectNode();
                ObjectNode err = e.putObject("error");
                err.put("message", message);
                err.put("type", "invalid_request_error");
                err.putNull("param");
                err.put("code", openAiCode(status));
                yield write(e);
            }
        };
    }

    /** The gRPC status of an HTTP one, as Pinecone's data plane gives it (16 UNAUTHENTICATED, 3 INVALID_ARGUMENT, ...). */
    static int grpcCode(int status) {
        return switch (status) {
            case 401 -> 16;
            case 403 -> 7;
            case 404 -> 5;
            case 408 -> 4;
            case 429 -> 8;
            default -> status >= 500 ? 2 : 3;
        };
    }

    private static String controlCode(int status) {
        return switch (status) {
            case 401 -> "UNAUTHENTICATED";
            case 404 -> "NOT_FOUND";
            case 408 -> "DEADLINE_EXCEEDED";
            default -> status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
        };
    }

    private static String openAiCode(int status) {
        return switch (status) {
            case 401 -> "invalid_api_key";
            case 408 -> "timeout";
            case 413 -> "request_too_large";
            default -> null;
        };
    }

    private static byte[] write(ObjectNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
