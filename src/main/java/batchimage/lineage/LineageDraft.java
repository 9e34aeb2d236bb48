package batchimage.lineage;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The fields of a {@link Lineage} while a parser fills them in, and the problems it met on the way (kept in the
 * order found, each once). Package-private: the parsers' scratch pad, not an API.
 */
final class LineageDraft {

    String prompt;
    String negativePrompt;
    Long seed;
    Integer steps;
    Double cfg;
    String sampler;
    String scheduler;
    String model;
    final List<Lineage.Lora> loras = new ArrayList<>();
    private final Set<String> problems = new LinkedHashSet<>();

    void problem(String problem) {
        if (problems.size() < 50) {
            problems.add(problem);
        }
    }

    List<String> problems() {
        return List.copyOf(problems);
    }

    Lineage toLineage(String generator, String workflow) {
        return new Lineage(generator, prompt, negativePrompt, seed, steps, cfg, sampler, scheduler, model, loras,
                null, null, null, workflow, problems());
    }
}
