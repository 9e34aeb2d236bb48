package batchimage.vectors;

/** An invalid filter, with the path to the offending part ({@code filter.year.$gt}) and what was wrong. */
public final class FilterException extends IllegalArgumentException {

    private final String path;

    public FilterException(String path, String message) {
        super("invalid filter at " + path + ": " + message);
        this.path = path;
    }

    public String path() {
        return path;
    }
}
