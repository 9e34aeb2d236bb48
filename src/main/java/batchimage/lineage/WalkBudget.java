package batchimage.lineage;

/**
 * How many more nodes a walk over a ComfyUI graph may visit; the first step past the limit records a problem in
 * the draft, every later one just answers false. Keeps every walk finite whatever the graph.
 */
final class WalkBudget {

    /** Steps one graph reading may take, all walks together. */
    static final int MAX_STEPS = 10_000;

    private final LineageDraft draft;
    private final int limit;
    private int left;
    private boolean reported;

    WalkBudget(LineageDraft draft, int steps) {
        this.draft = draft;
        this.limit = steps;
        this.left = steps;
    }

    /** Takes a step; false when there are none left. */
    boolean step() {
        if (left > 0) {
            left--;
            return true;
        }
        if (!reported) {
            reported = true;
            draft.problem("graph walk stopped after " + limit + " steps: the graph is too large or loops");
        }
        return false;
    }
}
