package batchimage.ingest;

/**
 * A batch file that cannot be read as a whole: not JSON, not UTF-8, truncated, the wrong shape.
 * Says where (line, column, and the sub-theme and record being read) and what was wrong.
 */
public final class BatchFileException extends RuntimeException {

    private final String file;
    private final long line;
    private final long column;
    private final String where;

    public BatchFileException(String file, String problem, long line, long column, String where, Throwable cause) {
        super(problem, cause);
        this.file = file;
        this.line = line;
        this.column = column;
        this.where = where;
    }

    public String file() {
        return file;
    }

    public String problem() {
        return super.getMessage();
    }

    public long line() {
        return line;
    }

    public long column() {
        return column;
    }

    /** e.g. "sub-theme 'CASES', record 3", or null before the first sub-theme. */
    public String where() {
        return where;
    }

    @Override
    public String getMessage() {
        return file + ": " + detail();
    }

    /** The problem and where it is, without the file name. */
    public String detail() {
        var sb = new StringBuilder(problem());
        if (line > 0) {
            sb.append(" (line ").append(line).append(", column ").append(column).append(')');
        }
        if (where != null) {
            sb.append(", while reading ").append(where);
        }
        return sb.toString();
    }
}
