package batchimage.http.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import batchimage.app.BatchImage;
import batchimage.embed.EmbeddingsClient;
import batchimage.vectors.PineconeClient;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * An instance whose index and model are another instance's (PINECONE_HOST, EMBEDDINGS_URL: the several-instances
 * setup) reaches them when that one has a key: it sends its PINECONE_API_KEY as Api-Key and its OPENAI_API_KEY as
 * a Bearer token, as to Pinecone and OpenAI; without them it is refused, and says why.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeyToAnotherInstanceTest {

    private static final String FIRST_KEY = "first-instance-key";
    private static final String SECOND_KEY = "second-instance-key";

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private BatchImage first;
    private String firstBase;
    private Path data;

    @BeforeAll
    void startTheFirst(@TempDir Path folder) throws Exception {
        data = folder;
        first = TestLibrary.service(data.resolve("first"), TestPostgres.newDatabase("first_keyed"),
                Map.of("batch-image.api-key", FIRST_KEY, "index.enabled", "false", "local-embeddings.preload", ""));
        firstBase = "http://127.0.0.1:" + first.settings().get("batch-image.port");
        // the first instance's index holds one vector: the embedding of "a cat on a sofa", under the id cat
        JsonNode embedded = post(firstBase + "/v1/embeddings", "{\"model\": \"all-minilm-l6-v2-q\", \"input\": \"a cat on a sofa\"}",
                "Authorization", "Bearer " + FIRST_KEY);
        String upsert = "{\"namespace\": \"prompt\", \"vectors\": [{\"id\": \"cat\", \"values\": " + embedded.get("data").get(0).get("embedding")
                + ", \"metadata\": {\"name\": \"cat\"}}]}";
        post(firstBase + "/pinecone/vectors/upsert", upsert, "Api-Key", FIRST_KEY);
    }

    @AfterAll
    void stop() {
        if (first != null) {
            first.close();
        }
    }

    private JsonNode post(String url, String body, String... headers) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url)).headers(headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return json.readTree(res.body());
    }

    private BatchImage second(String name, Map<String, String> keys) {
        var settings = new HashMap<>(Map.of("pinecone.host", firstBase + "/pinecone", "embeddings.url", firstBase + "/v1/embeddings",
                "batch-image.api-key", SECOND_KEY, "index.enabled", "false", "enrich.enabled", "false", "pinecone.max-retries", "0",
                "embeddings.max-retries", "0"));
        settings.putAll(keys);
        return TestLibrary.service(data.resolve(name), TestPostgres.newDatabase(name), settings);
    }

    @Test
    void withTheFirstsKeyAsItsPineconeAndOpenAiKeysTheSecondSearchesThroughIt() throws Exception {
        try (BatchImage second = second("second_keyed", Map.of("pinecone.api-key", FIRST_KEY, "openai.api-key", FIRST_KEY))) {
            String base = "http://127.0.0.1:" + second.settings().get("batch-image.port");
            JsonNode found = post(base + "/api/search", "{\"query\": \"a cat on a sofa\", \"namespace\": \"prompt\"}", "X-API-Key", SECOND_KEY);
            assertThat(found.get("matches").get(0).get("id").asText()).isEqualTo("cat");
        }
    }

    @Test
    void withoutThemTheFirstRefusesAndTheSecondSaysWhy() throws Exception {
        try (BatchImage second = second("second_keyless", Map.of())) {
            var index = second.context().getRegistry().lookupByNameAndType("pineconeClient", PineconeClient.class);
            assertThatThrownBy(index::stats).hasMessageContaining("401").hasMessageContaining("Api-Key").hasMessageContaining("PINECONE_API_KEY");
            var model = second.context().getRegistry().lookupByNameAndType("embeddingsClient", EmbeddingsClient.class);
            assertThatThrownBy(() -> model.embed(List.of("a cat"))).hasMessageContaining("401").hasMessageContaining("OPENAI_API_KEY");
        }
    }
}
