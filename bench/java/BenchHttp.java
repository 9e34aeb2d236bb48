import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the benchmark harnesses ask a running service over HTTP: JSON in and out, anything but 200 an error. */
public final class BenchHttp {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Vectors an upsert request carries. */
    private static final int UPSERT_BATCH = 200;

    private BenchHttp() {
    }

    static JsonNode post(String url, Object body) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + new String(r.body()));
        }
        return JSON.readTree(r.body());
    }

    static JsonNode get(String url) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode());
        }
        return JSON.readTree(r.body());
    }

    /** Vectors ({id, values, metadata}) upserted into one namespace of the service's /pinecone, 200 a request. */
    static final class Upserts {
        private final String url;
        private final String namespace;
        private final List<Map<String, Object>> batch = new ArrayList<>();
        private int sent;

        Upserts(String serviceUrl, String namespace) {
            this.url = serviceUrl + "/pinecone/vectors/upsert";
            this.namespace = namespace;
        }

        void add(Map<String, Object> vector) throws Exception {
            batch.add(vector);
            if (batch.size() == UPSERT_BATCH) {
                flush();
            }
        }

        /** Sends what is left; answers how many vectors were upserted in all. */
        int finish() throws Exception {
            if (!batch.isEmpty()) {
                flush();
            }
            return sent;
        }

        private void flush() throws Exception {
            post(url, Map.of("namespace", namespace, "vectors", batch));
            sent += batch.size();
            batch.clear();
        }
    }
}
