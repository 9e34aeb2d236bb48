package batchimage.lineage;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the lineage of one PNG file from its text chunks (never its pixels) and says which of three things it
 * found: a {@link Found lineage}, {@link NoMetadata no generator metadata} (with the image's size), or a
 * {@link Failed reason} the file could not be read (not a PNG, truncated, corrupt).
 *
 * <p>The generator is told by the chunks: {@code prompt} or {@code workflow} → {@code comfyui} (the prompt graph
 * first, the workflow when the prompt chunk is missing, unparsable or holds no sampler); {@code parameters} →
 * {@code a1111}; {@code invokeai_metadata} or {@code sd-metadata} → {@code invokeai}. Width and height always come
 * from the PNG's IHDR; the source is the path as given.
 */
public final class LineageReader {

    private static final Logger LOG = LoggerFactory.getLogger(LineageReader.class);

    /** What reading one file gave. */
    public sealed interface Result permits Found, NoMetadata, Failed {
        /** The file read. */
        Path source();

        /** The lineage when there is one. */
        default Optional<Lineage> lineage() {
            return Optional.empty();
        }
    }

    /** The file holds generator metadata: here is what it says. */
    public record Found(Path source, Lineage found) implements Result {
        @Override
        public Optional<Lineage> lineage() {
            return Optional.of(found);
        }
    }

    /** A readable PNG without any generator chunk. */
    public record NoMetadata(Path source, int width, int height) implements Result {
    }

    /** The file could not be read; the reason names the file and, where there is one, the chunk. */
    public record Failed(Path source, String reason) implements Result {
    }

    private LineageReader() {
    }

    /** Reads the lineage of {@code png}; never throws for a bad file, answers {@link Failed} instead. */
    public static Result read(Path png) {
        PngChunks chunks;
        try {
            chunks = PngChunks.read(png);
        } catch (PngFormatException e) {
            LOG.debug("no lineage from {}: {}", png, e.getMessage());
            return new Failed(png, e.getMessage());
        } catch (NoSuchFileException e) {
            return new Failed(png, png + ": no such file");
        } catch (IOException e) {
            LOG.debug("cannot read {}", png, e);
            return new Failed(png, png + ": cannot read: " + e.getMessage());
        }
        Lineage lineage;
        if (chunks.has("prompt") || chunks.has("workflow")) {
            lineage = comfy(chunks);
        } else if (chunks.has("parameters")) {
            lineage = A1111Parameters.read(chunks.text("parameters").orElseThrow());
        } else if (chunks.has("invokeai_metadata")) {
            lineage = InvokeMetadata.readInvokeAi(chunks.text("invokeai_metadata").orElseThrow());
        } else if (chunks.has("sd-metadata")) {
            lineage = InvokeMetadata.readSdMetadata(chunks.text("sd-metadata").orElseThrow());
        } else {
            return new NoMetadata(png, chunks.width(), chunks.height());
        }
        return new Found(png, lineage.withImage(chunks.width(), chunks.height(), png.toString()));
    }

    /** ComfyUI: the prompt graph, else the workflow; the workflow text (or the prompt text) kept raw. */
    private static Lineage comfy(PngChunks chunks) {
        String promptText = chunks.text("prompt").orElse(null);
        String workflowText = chunks.text("workflow").orElse(null);
        List<String> notes = new ArrayList<>();
        Lineage result = null;
        if (promptText != null) {
            try {
                result = ComfyPromptGraph.parse(promptText).lineage();
            } catch (IllegalArgumentException e) {
                notes.add("prompt chunk: " + e.getMessage());
            }
        }
        boolean sampled = result != null && (result.seed() != null || result.prompt() != null);
        if (!sampled && workflowText != null) {
            try {
                Lineage fromWorkflow = ComfyWorkflow.parse(workflowText).lineage();
                if (result != null) {
                    notes.add("prompt chunk gave no sampler (" + String.join("; ", result.problems())
                            + "): read the workflow chunk instead");
                }
                result = fromWorkflow;
            } catch (IllegalArgumentException e) {
                notes.add("workflow chunk: " + e.getMessage());
            }
        }
        if (result == null) {
            notes.add("no prompt found: neither the prompt nor the workflow chunk could be read");
            result = new LineageDraft().toLineage(Lineage.COMFYUI, null);
        }
        notes.addAll(result.problems());
        return new Lineage(result.generator(), result.prompt(), result.negativePrompt(), result.seed(),
                result.steps(), result.cfg(), result.sampler(), result.scheduler(), result.model(), result.loras(),
                null, null, null, workflowText != null ? workflowText : promptText, notes);
    }
}
