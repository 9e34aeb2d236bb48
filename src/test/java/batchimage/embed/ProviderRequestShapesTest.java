package batchimage.embed;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.config.Settings;
import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import batchimage.support.TestLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One setting away from any provider: the requests sent to OpenAI-compatible servers and Azure, as PROTOCOLS.md B says. */
class ProviderRequestShapesTest {

    private final ObjectMapper json = new ObjectMapper();
    private DefaultCamelContext camel;
    private StubHttpServer stub;

    @BeforeEach
    void start() {
        camel = new DefaultCamelContext();
        camel.start();
        stub = new StubHttpServer((r, n) -> Reply.json(200, EmbeddingsStub.answer(r.body(), r.path().contains("azure") ? 512 : 0)));
    }

    @AfterEach
    void stop() {
        stub.close();
        camel.stop();
    }

    private StubHttpServer.Seen sendWith(Map<String, String> env, int dims) throws Exception {
        stub.handler((r, n) -> Reply.json(200, EmbeddingsStub.answer(r.body(), dims)));
        Settings s = Settings.load(TestLibrary.PROJECT, env, Map.of());
        try (var client = new EmbeddingsClient(camel, EmbeddingsConfig.from(s))) {
            assertThat(client.embed(List.of("a cat", "a dog"))).hasSize(2).allSatisfy(v -> assertThat(v).hasSize(dims));
        }
        return stub.seen().get(stub.seen().size() - 1);
    }

    @Test
    void anOpenAiCompatibleServerGetsBearerModelAndNoDimensionsForOtherModels() throws Exception {
        var seen = sendWith(Map.of("EMBEDDINGS_URL", stub.url("/v1/embeddings"), "OPENAI_API_KEY", "sk-test",
                "EMBEDDINGS_MODEL", "nomic-embed-text", "EMBEDDINGS_DIMENSIONS", "768"), 768);
        assertThat(seen.method()).isEqualTo("POST");
        assertThat(seen.path()).isEqualTo("/v1/embeddings");
        assertThat(seen.header("Authorization")).isEqualTo("Bearer sk-test");
        assertThat(seen.header("Content-Type")).startsWith("application/json");
        JsonNode body = json.readTree(seen.body());
        assertThat(body.get("model").asText()).isEqualTo("nomic-embed-text");
        assertThat(body.get("input")).hasSize(2);
        assertThat(body.has("dimensions")).isFalse();
        assertThat(body.get("encoding_format").asText()).isEqualTo("base64");
    }

    @Test
    void textEmbedding3GetsItsDimensionsAsTheOldSystemUsed() throws Exception {
        var seen = sendWith(Map.of("EMBEDDINGS_URL", stub.url("/v1/embeddings"), "OPENAI_API_KEY", "sk-test",
                "EMBEDDINGS_MODEL", "text-embedding-3-small"), 512);
        JsonNode body = json.readTree(seen.body());
        assertThat(body.get("dimensions").asInt()).isEqualTo(512);
    }

    @Test
    void azureClassicUsesTheDeploymentPathApiVersionAndApiKeyWithoutModel() throws Exception {
        var seen = sendWith(Map.of("AZURE_OPENAI_API_KEY", "az-key", "AZURE_OPENAI_ENDPOINT", stub.url("/azure/"),
                "AZURE_OPENAI_DEPLOYMENT", "embed-small"), 512);
        assertThat(seen.path()).isEqualTo("/azure/openai/deployments/embed-small/embeddings");
        assertThat(seen.query()).isEqualTo("api-version=2024-10-21");
        assertThat(seen.header("api-key")).isEqualTo("az-key");
        assertThat(seen.header("Authorization")).isNull();
        JsonNode body = json.readTree(seen.body());
        assertThat(body.has("model")).isFalse();
        assertThat(body.get("dimensions").asInt()).isEqualTo(512);
    }

    @Test
    void azureV1UsesTheOpenAiShapeWithTheDeploymentAsModel() throws Exception {
        var seen = sendWith(Map.of("AZURE_OPENAI_API_KEY", "az-key", "AZURE_OPENAI_ENDPOINT", stub.url("/azure"),
                "AZURE_OPENAI_DEPLOYMENT", "embed-small", "AZURE_OPENAI_API_VERSION", "v1"), 512);
        assertThat(seen.path()).isEqualTo("/azure/openai/v1/embeddings");
        assertThat(seen.query()).isNull();
        assertThat(seen.header("api-key")).isEqualTo("az-key");
        assertThat(json.readTree(seen.body()).get("model").asText()).isEqualTo("embed-small");
    }

    @Test
    void withNothingSetTheAppsOwnEndpointAndModelAreUsed() {
        var cfg = EmbeddingsConfig.from(Settings.load(TestLibrary.PROJECT, Map.of("BATCH_IMAGE_PORT", "8123"), Map.of()));
        assertThat(cfg.provider()).isEqualTo(EmbeddingsConfig.Provider.LOCAL);
        assertThat(cfg.url()).isEqualTo("http://127.0.0.1:8123/v1/embeddings");
        assertThat(cfg.model()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(cfg.dimensions()).isEqualTo(384);
        var openAi = EmbeddingsConfig.from(Settings.load(TestLibrary.PROJECT, Map.of("OPENAI_API_KEY", "sk-x"), Map.of()));
        assertThat(openAi.url()).isEqualTo(EmbeddingsConfig.OPENAI_URL);
        assertThat(openAi.model()).isEqualTo("text-embedding-3-small");
        assertThat(openAi.toString()).doesNotContain("sk-x");
    }

    @Test
    void secretsNeverReachCamelsPropertiesOrTheLog() {
        Settings s = Settings.load(TestLibrary.PROJECT, Map.of("OPENAI_API_KEY", "sk-secret", "AZURE_OPENAI_API_KEY", "az-secret"), Map.of());
        assertThat(s.get("openai.api-key")).isEqualTo("sk-secret");
        assertThat(s.asProperties().values()).doesNotContain("sk-secret", "az-secret");
    }
}
