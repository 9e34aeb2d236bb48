package batchimage.ingest;

/**
 * An input entry that cannot become a row, with what a user needs to fix it: the sub-theme key, the
 * position in its array (0-based; -1 for a whole sub-theme), the field at fault, and the entry as read.
 */
public record Rejection(String subTheme, int position, String recordId, String field, String reason, String raw) {

    /** "sub-theme 'GOOD', record 12, field task_id: ..." */
    public String describe() {
        var sb = new StringBuilder("sub-theme '").append(subTheme).append('\'');
        if (position >= 0) {
            sb.append(", index ").append(position);
        }
        if (recordId != null) {
            sb.append(" (task_id ").append(recordId).append(')');
        }
        if (field != null) {
            sb.append(", field ").append(field);
        }
        return sb.append(": ").append(reason).toString();
    }
}
