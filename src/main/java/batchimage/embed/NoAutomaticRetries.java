package batchimage.embed;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * Apache HttpClient retries 429 and 503 on its own by default; the embeddings client retries itself
 * (counting, pacing every caller, knowing billing 429s), so the HTTP client must not.
 */
public final class NoAutomaticRetries implements HttpClientConfigurer {

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.disableAutomaticRetries();
    }
}
