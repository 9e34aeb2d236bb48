package batchimage.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;

/**
 * The one HTTP client of the app: Apache HttpClient 5 (classic, blocking on the caller's thread), the client camel-http is
 * built on, configured as camel-http configured it for {@link RetryingHttp} before (bench/results/http-client.md says why it
 * is called directly): a pool of connections kept alive, no automatic retries (HttpClient retries 429 and 503 on its own by
 * default; RetryingHttp retries itself), redirects not followed, a connect timeout, and a wait for the answer and for a pooled
 * connection of the policy's timeout. Every failure is an {@link RetryingHttp.Answer} to read, never an exception.
 */
final class HttpTransport implements AutoCloseable {

    private final CloseableHttpClient http;
    private final RequestConfig config;

    HttpTransport(RetryingHttp.Policy policy) {
        int connections = Math.max(20, policy.maxInFlight() * 2);
        var pool = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(connections)
                .setMaxConnPerRoute(connections)
                .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(timeout(policy.connectTimeout())).build())
                .build();
        this.config = RequestConfig.custom()
                .setResponseTimeout(timeout(policy.timeout()))
                .setConnectionRequestTimeout(timeout(policy.timeout()))
                .build();
        this.http = HttpClients.custom()
                .setConnectionManager(pool)
                .setDefaultRequestConfig(config)
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .build();
    }

    private static Timeout timeout(Duration d) {
        return Timeout.ofMilliseconds(d.toMillis());
    }

    /**
     * One attempt of {@code request}: the status, headers and body of the answer, or (status 0) what kept one from coming.
     * With {@code target}, a 200's body goes into that file instead (the answer's body is then null).
     */
    RetryingHttp.Answer exchange(RetryingHttp.Request request, Path target) {
        try {
            var req = new HttpUriRequestBase(request.method(), URI.create(request.url()));
            request.headers().forEach(req::addHeader);
            if (request.body() != null) {
                req.setEntity(new ByteArrayEntity(request.body(), request.contentType() == null ? null : ContentType.parse(request.contentType())));
            }
            if (request.timeout() != null) {
                req.setConfig(RequestConfig.copy(config).setResponseTimeout(timeout(request.timeout())).build());
            }
            return http.execute(req, res -> {
                var headers = new LinkedHashMap<String, Object>();
                for (Header h : res.getHeaders()) {
                    headers.putIfAbsent(h.getName(), h.getValue());
                }
                HttpEntity entity = res.getEntity();
                byte[] body = null;
                if (entity != null && target != null && res.getCode() == 200) {
                    try (InputStream in = entity.getContent()) {
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } else if (entity != null) {
                    body = EntityUtils.toByteArray(entity);
                }
                return new RetryingHttp.Answer(res.getCode(), body, Map.copyOf(headers), null);
            });
        } catch (IOException | RuntimeException e) {
            return new RetryingHttp.Answer(0, null, Map.of(), e);
        }
    }

    @Override
    public void close() {
        http.close(CloseMode.GRACEFUL);
    }
}
