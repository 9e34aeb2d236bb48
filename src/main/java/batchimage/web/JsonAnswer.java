package batchimage.web;

import org.apache.camel.Exchange;

/** Sends a JSON answer from a platform-http route: status, content type, body, and none of the request's headers. */
public final class JsonAnswer {

    private JsonAnswer() {
    }

    public static void send(Exchange ex, int status, byte[] body) {
        var m = ex.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setBody(body);
    }
}
