package batchimage.api;

import org.apache.camel.http.base.HttpHeaderFilterStrategy;

/**
 * The HTTP headers of the REST API's answers (camel.rest.endpoint-properties[headerFilterStrategy]): Camel's filter,
 * but letting Cache-Control through, which the images set (platform-http drops it by default; the JSON answers set none).
 */
public final class ApiHeaders extends HttpHeaderFilterStrategy {

    @Override
    protected void initialize() {
        super.initialize();
        getOutFilter().remove("cache-control");
    }
}
