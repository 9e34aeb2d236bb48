package batchimage.lineage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Finds the cycles and dangling references (links to a node id that is not in the graph) among the nodes reachable
 * from one node of an API-format ComfyUI graph, following every linked input, and reports them as problems. An
 * iterative depth-first search with a bounded number of steps: never recurses deeply, never loops.
 */
final class ComfyGraphCheck {

    private enum State { ON_PATH, DONE }

    private ComfyGraphCheck() {
    }

    static void check(ComfyNodes graph, String start, LineageDraft draft) {
        WalkBudget budget = new WalkBudget(draft, WalkBudget.MAX_STEPS);
        Map<String, State> state = new HashMap<>();
        Deque<String> path = new ArrayDeque<>();
        Deque<Iterator<Map.Entry<String, ComfyNodes.Link>>> pending = new ArrayDeque<>();
        state.put(start, State.ON_PATH);
        path.push(start);
        pending.push(graph.links(start).entrySet().iterator());
        int cycles = 0;
        while (!pending.isEmpty()) {
            Iterator<Map.Entry<String, ComfyNodes.Link>> it = pending.peek();
            String current = path.peek();
            if (!it.hasNext()) {
                pending.pop();
                state.put(path.pop(), State.DONE);
                continue;
            }
            Map.Entry<String, ComfyNodes.Link> input = it.next();
            String target = input.getValue().node();
            if (!graph.exists(target)) {
                draft.problem("dangling reference: " + graph.describe(current) + " input '" + input.getKey()
                        + "' links to missing node " + target);
                continue;
            }
            State seen = state.get(target);
            if (seen == State.ON_PATH) {
                if (cycles++ < 5) {
                    draft.problem("cycle detected: " + cycle(path, target) + " (via input '" + input.getKey() + "')");
                }
                continue;
            }
            if (seen == State.DONE || !budget.step()) {
                continue;
            }
            state.put(target, State.ON_PATH);
            path.push(target);
            pending.push(graph.links(target).entrySet().iterator());
        }
    }

    /** "3 -> 5 -> 7 -> 3": the part of the path from {@code target} on, then back to it. */
    private static String cycle(Deque<String> path, String target) {
        List<String> ids = new ArrayList<>(path);
        List<String> loop = new ArrayList<>();
        for (String id : ids) {
            loop.add(0, id);
            if (id.equals(target)) {
                break;
            }
        }
        loop.add(target);
        return String.join(" -> ", loop);
    }
}
