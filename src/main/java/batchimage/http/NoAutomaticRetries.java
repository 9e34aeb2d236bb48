package batchimage.http;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * Apache HttpClient retries 429 and 503 on its own by default; {@link RetryingHttp} retries itself
 * (counting, honouring the server's delay, knowing which failures waiting cannot fix), so the HTTP client must not.
 */
public final class NoAutomaticRetries implements HttpClientConfigurer {

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.disableAutomaticRetries();
    }
}
