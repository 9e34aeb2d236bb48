package batchimage.web;

import org.apache.camel.Exchange;

/** An HTTP answer of the app's JSON APIs: status and body, sent from a platform-http route. */
public record JsonAnswer(int status, byte[] body) {

    /** Sends it: status, content type, body, and none of the request's headers. */
    public void send(Exchange ex) {
        var m = ex.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setBody(body);
    }
}
