package batchimage.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Random;

/** Answers in OpenAI's embeddings shape (PROTOCOLS.md B.1), for the stub servers of the failure tests. */
final class EmbeddingsStub {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EmbeddingsStub() {
    }

    static int inputs(String requestBody) {
        try {
            JsonNode in = JSON.readTree(requestBody).get("input");
            return in.isArray() ? in.size() : 1;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A well-formed answer with {@code vectors} vectors of {@code dims} values (base64 when asked). */
    static String answer(String requestBody, int vectors, int dims) {
        boolean base64 = requestBody.contains("\"base64\"");
        var rnd = new Random(vectors);
        var sb = new StringBuilder("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < vectors; i++) {
            float[] v = new float[dims];
            for (int j = 0; j < dims; j++) {
                v[j] = (float) rnd.nextGaussian();
            }
            v = LocalModels.normalized(v);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"object\":\"embedding\",\"index\":").append(i).append(",\"embedding\":");
            if (base64) {
                sb.append('"').append(EmbeddingsApi.toBase64(v)).append('"');
            } else {
                sb.append('[');
                for (int j = 0; j < dims; j++) {
                    sb.append(j == 0 ? "" : ",").append(v[j]);
                }
                sb.append(']');
            }
            sb.append('}');
        }
        return sb.append("],\"model\":\"stub\",\"usage\":{\"prompt_tokens\":").append(vectors * 3)
                .append(",\"total_tokens\":").append(vectors * 3).append("}}").toString();
    }

    static String answer(String requestBody, int dims) {
        return answer(requestBody, inputs(requestBody), dims);
    }
}
