package batchimage.embed;

import batchimage.config.Settings;
import java.time.Duration;
import java.util.Locale;

/**
 * Where and how to embed, from the settings: Azure OpenAI when its key and endpoint are set, else
 * {@code EMBEDDINGS_URL} (any OpenAI-compatible server), else the OpenAI API when {@code OPENAI_API_KEY}
 * is set, else the app's own {@code /v1/embeddings}. The key is kept out of {@link #toString()}.
 * {@code dimensions} is 0 when the settings leave the vector size open: the client learns it from the model.
 */
public record EmbeddingsConfig(
        Provider provider,
        String url,
        String query,
        String authHeader,
        String authValue,
        String model,
        boolean sendModel,
        int dimensions,
        boolean sendDimensions,
        boolean base64,
        int maxInputs,
        int maxRequestTokens,
        int maxInputTokens,
        int maxInFlight,
        int maxRetries,
        Duration timeout) {

    public enum Provider { LOCAL, OPENAI_COMPATIBLE, OPENAI, AZURE, AZURE_V1 }

    public static final String OPENAI_URL = "https://api.openai.com/v1/embeddings";

    public static EmbeddingsConfig from(Settings s) {
        String azureKey = s.get("azure-openai.api-key");
        String azureEndpoint = s.get("azure-openai.endpoint");
        String openAiKey = s.get("openai.api-key");
        String url = s.get("embeddings.url");
        String model = s.get("embeddings.model");
        String dims = s.get("embeddings.dimensions");
        int maxInputs = Math.min(2048, s.getInt("embeddings.batch-size"));
        int maxRequestTokens = Math.min(300_000, s.getInt("embeddings.max-request-tokens"));
        int maxInputTokens = s.getInt("embeddings.max-input-tokens");
        int inFlight = s.getInt("embeddings.max-in-flight");
        int retries = s.getInt("embeddings.max-retries");
        Duration timeout = Duration.ofMillis(s.getInt("embeddings.timeout-ms"));
        boolean base64 = s.get("embeddings.encoding").trim().equalsIgnoreCase("base64");
        String sendDims = s.get("embeddings.send-dimensions").trim().toLowerCase(Locale.ROOT);

        if (!azureKey.isBlank() && !azureEndpoint.isBlank()) {
            String deployment = s.get("azure-openai.deployment");
            String version = s.get("azure-openai.api-version");
            String base = azureEndpoint.replaceAll("/+$", "");
            int d = dims.isBlank() ? 512 : Integer.parseInt(dims.trim());
            boolean v1 = version.equalsIgnoreCase("v1");
            return new EmbeddingsConfig(v1 ? Provider.AZURE_V1 : Provider.AZURE,
                    v1 ? base + "/openai/v1/embeddings" : base + "/openai/deployments/" + deployment + "/embeddings",
                    v1 ? null : "api-version=" + version,
                    "api-key", azureKey, deployment, v1, d, !sendDims.equals("false"), base64,
                    maxInputs, maxRequestTokens, maxInputTokens, inFlight, retries, timeout);
        }
        if (!url.isBlank() || !openAiKey.isBlank()) {
            boolean openAi = url.isBlank();
            String m = model.isBlank() ? (openAi ? "text-embedding-3-small" : LocalModels.MINILM) : model;
            int d = dims.isBlank() ? knownDimensions(m) : Integer.parseInt(dims.trim());
            boolean send = sendDims.equals("true") || sendDims.equals("auto") && m.startsWith("text-embedding-3");
            return new EmbeddingsConfig(openAi ? Provider.OPENAI : Provider.OPENAI_COMPATIBLE, openAi ? OPENAI_URL : url, null,
                    openAiKey.isBlank() ? null : "Authorization", openAiKey.isBlank() ? null : "Bearer " + openAiKey,
                    m, true, d, send, base64, maxInputs, maxRequestTokens, maxInputTokens, inFlight, retries, timeout);
        }
        String m = model.isBlank() ? LocalModels.MINILM : model;
        int d = dims.isBlank() ? 384 : Integer.parseInt(dims.trim());
        String local = "http://" + localHost(s.get("batch-image.host")) + ":" + s.get("batch-image.port") + "/v1/embeddings";
        // the app's own /v1 wants the app's key, sent as OpenAI clients send theirs
        String appKey = s.get("batch-image.api-key").strip();
        return new EmbeddingsConfig(Provider.LOCAL, local, null, appKey.isEmpty() ? null : "Authorization", appKey.isEmpty() ? null : "Bearer " + appKey,
                m, true, d, sendDims.equals("true"), base64,
                maxInputs, maxRequestTokens, maxInputTokens, inFlight, retries, timeout);
    }

    /** What a model gives when the settings do not say: 512 for text-embedding-3 (as the old system used), the local models' 384, else 0 (ask the model). */
    private static int knownDimensions(String model) {
        if (model.startsWith("text-embedding-3")) {
            return 512;
        }
        return model.equals(LocalModels.MINILM) || model.equals(LocalModels.BGE) ? 384 : 0;
    }

    private static String localHost(String bind) {
        return bind.isBlank() || bind.equals("0.0.0.0") || bind.equals("::") ? "127.0.0.1" : bind;
    }

    /** The same endpoint and settings for another model of the same provider (Azure: another deployment). */
    public EmbeddingsConfig withModel(String otherModel, int otherDimensions) {
        String u = provider == Provider.AZURE ? url.replace("/deployments/" + model + "/", "/deployments/" + otherModel + "/") : url;
        return new EmbeddingsConfig(provider, u, query, authHeader, authValue, otherModel, sendModel, otherDimensions, sendDimensions, base64,
                maxInputs, maxRequestTokens, maxInputTokens, maxInFlight, maxRetries, timeout);
    }

    @Override
    public String toString() {
        return provider + " " + url + (query == null ? "" : "?" + query) + " model=" + model + " dimensions=" + (dimensions == 0 ? "the model's" : dimensions)
                + (authHeader == null ? "" : " (" + authHeader + " set)");
    }
}
