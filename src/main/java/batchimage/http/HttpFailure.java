package batchimage.http;

/** The state every client's {@link RetryingHttp.Failure} carries: the HTTP status and whether waiting could help. */
public abstract class HttpFailure extends RuntimeException implements RetryingHttp.Failure {

    private final int status;
    private final boolean retryable;

    protected HttpFailure(String message, int status, boolean retryable, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryable = retryable;
    }

    /** HTTP status, or 0 when no answer came (timeout, connection refused). */
    @Override
    public int status() {
        return status;
    }

    /** Whether waiting and trying again could help (throttling, server errors, timeouts). */
    @Override
    public boolean retryable() {
        return retryable;
    }
}
