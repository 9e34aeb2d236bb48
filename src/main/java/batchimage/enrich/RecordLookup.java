package batchimage.enrich;

import static batchimage.enrich.Enricher.blank;

import batchimage.enrich.Enricher.Candidate;
import batchimage.enrich.Enricher.Outcome;
import batchimage.images.MediaFolders;
import batchimage.images.MediaLookup;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;

/**
 * What is known of one record while it is looked up: its tags and path so far, and why what is missing is
 * missing. The media folders are asked here; ComfyUI's history fills it through {@link ComfyLookup}. Its
 * {@link #outcome} says where the record stands: done, waiting (with the delay before the next try), or given up.
 */
final class RecordLookup {

    private static final int MAX_DELAY_SECONDS = 3600;

    final Candidate c;
    private final MediaFolders media;
    String description;
    String filePath;
    boolean pathFound;
    String comfyProblem;
    /** ComfyUI could not be asked: not the record's fault, so it costs no attempt. */
    String unreachable;
    String mediaProblem;
    String failed;
    ComfyHistory.Image comfyImage;

    RecordLookup(Candidate c, MediaFolders media) {
        this.c = c;
        this.media = media;
        this.description = c.description();
        this.filePath = c.filePath();
        MediaLookup now = blank(c.filePath()) ? new MediaLookup.Missing("no file_path") : media.resolve(c.filePath());
        this.pathFound = now instanceof MediaLookup.Found;
        if (now instanceof MediaLookup.Missing m) {
            mediaProblem = m.why();
        } else if (now instanceof MediaLookup.Outside o) {
            mediaProblem = o.why();
        }
    }

    boolean needTags() {
        return blank(description);
    }

    boolean needPath() {
        return !pathFound;
    }

    /** The media folders by the record's name; then, for an image ComfyUI named, what {@code comfy} can still do. */
    void fromMediaFolders(ComfyLookup comfy) {
        if (needPath()) {
            found(media.image(c.name()));
        }
        if (comfy != null && comfyImage != null) {
            comfy.afterMediaFolders(this);
        }
    }

    void found(MediaLookup m) {
        if (m instanceof MediaLookup.Found f) {
            filePath = f.file().toString();
            pathFound = true;
            mediaProblem = null;
        } else if (m instanceof MediaLookup.Missing mi) {
            mediaProblem = mi.why();
        } else if (m instanceof MediaLookup.Outside o) {
            mediaProblem = o.why();
        }
    }

    /**
     * Where the record stands. {@code comfyConfigured}: whether ComfyUI can give tags at all; a record still missing
     * something waits {@code retrySeconds}, doubling with each attempt (at most an hour), and is given up after
     * {@code maxAttempts}.
     */
    Outcome outcome(boolean comfyConfigured, int retrySeconds, int maxAttempts) {
        boolean missingTags = needTags();
        boolean missingPath = needPath();
        if (!missingTags && !missingPath) {
            return new Outcome(c, description, filePath, true, "done", 0, null, null);
        }
        var why = new ArrayList<String>();
        if (missingTags) {
            why.add("no tags: " + (failed != null ? failed : !comfyConfigured ? "COMFYUI_URL is not set"
                    : unreachable != null ? unreachable : comfyProblem));
        }
        if (missingPath) {
            var path = new ArrayList<String>();
            if (mediaProblem != null) {
                path.add(mediaProblem);
            }
            // said once: under the tags when it is why they are missing too
            if (comfyProblem != null && (!missingTags || failed != null)) {
                path.add(comfyProblem);
            }
            if (unreachable != null && !missingTags) {
                path.add(unreachable);
            }
            why.add("no image: " + (path.isEmpty() ? "not found" : String.join("; ", path)));
        }
        String reason = String.join("; ", why);
        if (failed != null) {
            return new Outcome(c, description, filePath, !missingPath, "gave_up", c.attempts() + 1, reason, null);
        }
        if (!missingPath && !comfyConfigured) {
            // only tags are missing and nothing here can give them: done until ComfyUI is configured
            return new Outcome(c, description, filePath, true, "done", 0, reason, null);
        }
        if (unreachable != null) {
            long delay = Math.min(MAX_DELAY_SECONDS, Math.max(retrySeconds, 1) * (1L << Math.min(c.attempts(), 20)));
            return new Outcome(c, description, filePath, !missingPath, "waiting", c.attempts(), reason,
                    OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(delay));
        }
        int attempts = c.attempts() + 1;
        if (attempts >= maxAttempts) {
            return new Outcome(c, description, filePath, !missingPath, "gave_up", attempts,
                    reason + " (after " + attempts + " attempts)", null);
        }
        long delay = Math.min(MAX_DELAY_SECONDS, retrySeconds * (1L << Math.min(attempts - 1, 20)));
        return new Outcome(c, description, filePath, !missingPath, "waiting", attempts, reason,
                OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(delay));
    }
}
