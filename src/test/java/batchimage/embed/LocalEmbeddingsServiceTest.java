package batchimage.embed;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The app's own /v1/embeddings over real HTTP, against OpenAI's contract, and the client using it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalEmbeddingsServiceTest {

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private BatchImage app;
    private String base;

    @BeforeAll
    void start(@TempDir Path data) {
        app = TestLibrary.service(data, TestPostgres.newDatabase("embed"));
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
    }

    @AfterAll
    void stop() {
        app.close();
    }

    private record Answer(int status, JsonNode body) {
    }

    private Answer post(String body, String contentType) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(base + "/v1/embeddings")).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        var res = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new Answer(res.statusCode(), json.readTree(res.body()));
    }

    private Answer post(String body) throws Exception {
        return post(body, "application/json");
    }

    private static float[] vector(JsonNode item) {
        JsonNode e = item.get("embedding");
        if (e.isTextual()) {
            return EmbeddingsApi.fromBase64(e.asText());
        }
        float[] v = new float[e.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) e.get(i).asDouble();
        }
        return v;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void answersLikeOpenAiForAStringInput() throws Exception {
        Answer a = post("{\"input\": \"a cat\", \"model\": \"all-minilm-l6-v2-q\"}");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().get("object").asText()).isEqualTo("list");
        assertThat(a.body().get("model").asText()).isEqualTo("all-minilm-l6-v2-q");
        JsonNode item = a.body().get("data").get(0);
        assertThat(item.get("object").asText()).isEqualTo("embedding");
        assertThat(item.get("index").asInt()).isZero();
        float[] v = vector(item);
        assertThat(v).hasSize(384);
        assertThat(dot(v, v)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(a.body().get("usage").get("prompt_tokens").asInt()).isPositive();
        assertThat(a.body().get("usage").get("total_tokens").asInt()).isEqualTo(a.body().get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void answersTheCurlOfTheReadmeWhichSendsNoJsonContentType() throws Exception {
        Answer a = post("{\"input\":[\"a cat\"],\"model\":\"all-minilm-l6-v2-q\"}", "application/x-www-form-urlencoded");
        assertThat(a.status()).isEqualTo(200);
        assertThat(vector(a.body().get("data").get(0))).hasSize(384);
    }

    @Test
    void base64IsLittleEndianFloat32OfTheSameVector() throws Exception {
        float[] f = vector(post("{\"input\": [\"a red bus\"], \"model\": \"all-minilm-l6-v2-q\"}").body().get("data").get(0));
        Answer b = post("{\"input\": [\"a red bus\"], \"model\": \"all-minilm-l6-v2-q\", \"encoding_format\": \"base64\"}");
        assertThat(b.body().get("data").get(0).get("embedding").isTextual()).isTrue();
        float[] v = vector(b.body().get("data").get(0));
        for (int i = 0; i < f.length; i++) {
            assertThat(v[i]).isCloseTo(f[i], org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void vectorsCarryMeaningAndBothModelsServe() throws Exception {
        for (String model : List.of("all-minilm-l6-v2-q", "bge-small-en-v1.5-q")) {
            Answer a = post("{\"model\": \"" + model + "\", \"dimensions\": 384, \"input\": [\"a dog running on the beach\", \"a puppy playing in the sand\", \"a bowl of tomato soup\"]}");
            assertThat(a.status()).as(model).isEqualTo(200);
            var d = a.body().get("data");
            assertThat(d).hasSize(3);
            float[] dog = vector(d.get(0));
            assertThat(dot(dog, vector(d.get(1)))).as(model).isGreaterThan(dot(dog, vector(d.get(2))) + 0.1);
        }
    }

    @Test
    void refusesBadRequestsInOpenAisErrorShape() throws Exception {
        var many = new ArrayList<String>();
        for (int i = 0; i < 2049; i++) {
            many.add("\"t" + i + "\"");
        }
        String[][] cases = {
            {"{\"input\": [], \"model\": \"all-minilm-l6-v2-q\"}", "400", "input"},
            {"{\"input\": [\"ok\", \"\"], \"model\": \"all-minilm-l6-v2-q\"}", "400", "input"},
            {"{\"input\": [" + String.join(",", many) + "], \"model\": \"all-minilm-l6-v2-q\"}", "400", "input"},
            {"{\"input\": \"a\", \"model\": \"text-embedding-9\"}", "404", "model"},
            {"{\"input\": \"a\"}", "400", "model"},
            {"{\"input\": \"a\", \"model\": \"all-minilm-l6-v2-q\", \"dimensions\": 512}", "400", "dimensions"},
            {"{\"input\": \"a\", \"model\": \"all-minilm-l6-v2-q\", \"encoding_format\": \"hex\"}", "400", "encoding_format"},
            {"{\"input\": [[1, 2, 3]], \"model\": \"all-minilm-l6-v2-q\"}", "400", "input"},
            {"{\"input\": \"a\", \"model\": \"all-minilm-l6-v2-q\", \"temperature\": 1}", "400", "temperature"},
            {"not json", "400", null},
        };
        for (String[] c : cases) {
            Answer a = post(c[0]);
            assertThat(a.status()).as(c[0].length() > 80 ? c[0].substring(0, 80) : c[0]).isEqualTo(Integer.parseInt(c[1]));
            JsonNode err = a.body().get("error");
            assertThat(err).isNotNull();
            assertThat(err.has("message") && err.has("type") && err.has("param") && err.has("code")).isTrue();
            assertThat(err.get("type").asText()).isEqualTo("invalid_request_error");
            if (c[2] != null) {
                assertThat(err.get("param").asText()).isEqualTo(c[2]);
            }
        }
        assertThat(post("{\"input\": \"a\", \"model\": \"text-embedding-9\"}").body().get("error").get("code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void listsItsModels() throws Exception {
        var res = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode body = json.readTree(res.body());
        assertThat(body.get("object").asText()).isEqualTo("list");
        assertThat(body.get("data").findValuesAsText("id")).containsExactly("all-minilm-l6-v2-q", "bge-small-en-v1.5-q");
    }

    @Test
    void answersEachModelByIdAsTheListDoes() throws Exception {
        var v1 = new batchimage.support.Api(base + "/v1");
        JsonNode listed = v1.get("/models").body().get("data").get(0);
        var one = v1.get("/models/" + listed.get("id").asText());
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body()).isEqualTo(listed);
        assertThat(one.body().get("object").asText()).isEqualTo("model");

        var unknown = v1.get("/models/text-embedding-3-small");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().get("error").get("code").asText()).isEqualTo("model_not_found");
        assertThat(unknown.body().get("error").get("param").asText()).isEqualTo("model");
    }

    @Test
    void everyOtherPathUnderV1AnswersInOpenAisErrorShape() throws Exception {
        var v1 = new batchimage.support.Api(base + "/v1");
        for (String path : List.of("", "/nope", "/chat/completions", "/models/a/b")) {
            var a = v1.get(path);
            assertThat(a.status()).as(path).isEqualTo(404);
            JsonNode e = a.body().get("error");
            assertThat(e.get("message").asText()).isEqualTo("Invalid URL (GET /v1" + path + ")");
            assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
            assertThat(e.has("param") && e.has("code")).isTrue();
        }
        // a known path asked with another method
        var get = v1.get("/embeddings");
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.body().get("error").get("message").asText()).startsWith("Invalid method for URL (GET /v1/embeddings)").contains("POST");
        // and the known paths still answer
        assertThat(post("{\"input\": \"a cat\", \"model\": \"all-minilm-l6-v2-q\"}").status()).isEqualTo(200);
    }

    @Test
    void theClientGetsTheSameVectorsAsTheModelInProcessInOrderAcrossRequests() {
        EmbeddingsClient client = app.context().getRegistry().lookupByNameAndType("embeddingsClient", EmbeddingsClient.class);
        assertThat(client.config().provider()).isEqualTo(EmbeddingsConfig.Provider.LOCAL);
        var texts = new ArrayList<String>();
        for (int i = 0; i < 600; i++) {
            texts.add("prompt " + i + ": " + (i % 3 == 0 ? "a castle on a hill" : i % 3 == 1 ? "a cat on a sofa" : "a city street at night"));
        }
        List<float[]> viaHttp = client.embed(texts);
        List<float[]> inProcess = new LocalModels().embed(LocalModels.MINILM, texts).vectors();
        assertThat(viaHttp).hasSize(600);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(dot(viaHttp.get(i), inProcess.get(i))).as("text %d", i).isGreaterThan(0.9999);
        }
        assertThat(client.stats().get("calls")).isGreaterThanOrEqualTo(3);
        assertThat(client.stats().get("inputs")).isGreaterThanOrEqualTo(600);
    }
}
