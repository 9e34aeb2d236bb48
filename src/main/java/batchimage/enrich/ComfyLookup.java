package batchimage.enrich;

import static batchimage.enrich.Enricher.blank;

import batchimage.images.MediaFolders;
import batchimage.images.MediaLookup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What ComfyUI's history gives a record being looked up: the tagger's output as its tags, and its output image,
 * found in ComfyUI's output folder (as seen from here) or in the media folders, or fetched through ComfyUI's
 * {@code /view} into the first media folder.
 */
final class ComfyLookup {

    private static final Pattern COUNTER = Pattern.compile("_\\d{5,}_$");

    private final ComfyClient client;
    private final MediaFolders media;
    private final Path outputDir;
    private final boolean fetchImages;

    /**
     * @param outputDir   ComfyUI's output folder as seen from here, or null
     * @param fetchImages images found nowhere here are fetched through ComfyUI's /view into the first media folder
     */
    ComfyLookup(ComfyClient client, MediaFolders media, Path outputDir, boolean fetchImages) {
        this.client = client;
        this.media = media;
        this.outputDir = outputDir;
        this.fetchImages = fetchImages;
    }

    ComfyClient client() {
        return client;
    }

    /** Fills what the record misses from its task's history. */
    void fromHistory(RecordLookup l, ComfyHistory h) {
        if (h instanceof ComfyHistory.Failed f) {
            l.failed = f.reason();
        } else if (h instanceof ComfyHistory.NotFinished) {
            l.comfyProblem = "ComfyUI has no history for the task yet (not finished, or unknown to it)";
        } else if (h instanceof ComfyHistory.Finished fin) {
            int i = imageOf(fin.images(), l.c.name());
            l.comfyImage = i < 0 ? null : fin.images().get(i);
            if (l.needTags()) {
                String tags = fin.tagsOf(Math.max(i, 0));
                if (blank(tags)) {
                    l.comfyProblem = "ComfyUI's history of the task has no tagger output (no 'tags' in its outputs)";
                } else {
                    l.description = tags;
                }
            }
            if (l.needPath() && l.comfyImage != null && outputDir != null) {
                Path p = outputPath(l.comfyImage);
                if (media.resolve(p.toString()) instanceof MediaLookup.Found) {
                    l.filePath = p.toString();
                    l.pathFound = true;
                }
            }
            if (l.needPath() && l.comfyImage != null) {
                // ComfyUI's counters repeat across subfolders: <subfolder>/<filename> first, then the name alone
                String sub = l.comfyImage.subfolder().isBlank() ? "" : l.comfyImage.subfolder().strip() + "/";
                l.found(media.resolve(sub + l.comfyImage.filename()));
            }

            if (l.needPath() && l.comfyImage == null) {
                l.comfyProblem = "ComfyUI's history of the task has no output image";
            }
        }
    }

    /** The media folders did not have the image ComfyUI named: fetched when allowed, else at least ComfyUI's path. */
    void afterMediaFolders(RecordLookup l) {
        if (l.needPath() && fetchImages) {
            fetch(l, l.comfyImage);
        }
        // ComfyUI says where the image is even when this machine cannot see it: better than no path
        if (l.needPath() && blank(l.filePath) && outputDir != null) {
            l.filePath = outputPath(l.comfyImage).toString();
        }
    }

    /** The image from ComfyUI's /view into {@code <first media folder>/comfyui/<subfolder>/<filename>}. */
    private void fetch(RecordLookup l, ComfyHistory.Image image) {
        Path target = fetchTarget(image);
        if (target == null) {
            l.comfyProblem = "ComfyUI's image name is not a plain file name: " + image.subfolder() + "/" + image.filename();
            return;
        }
        try {
            client.view(image, target);
            l.found(media.resolve(target.toString()));
        } catch (ComfyClient.Unreachable e) {
            l.comfyProblem = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            l.comfyProblem = "interrupted while fetching " + image.filename();
        }
    }

    /** Where a fetched image goes; null when ComfyUI's names are not plain names (they could climb out). */
    Path fetchTarget(ComfyHistory.Image image) {
        Path base = media.folders().get(0).resolve("comfyui");
        Path p = base;
        var parts = new ArrayList<String>(List.of(image.subfolder().split("[\\\\/]+")));
        parts.add(image.filename());
        for (String part : parts) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.equals(".") || part.equals("..") || part.indexOf('\0') >= 0 || part.contains(":")) {
                return null;
            }
            p = p.resolve(part);
        }
        return p.normalize().startsWith(base) && !p.equals(base) ? p : null;
    }

    private Path outputPath(ComfyHistory.Image image) {
        Path p = outputDir;
        if (!blank(image.subfolder())) {
            p = p.resolve(image.subfolder());
        }
        return p.resolve(image.filename());
    }

    /** The image of the record named {@code name} among the outputs (by file name or ComfyUI's counter), else the first. */
    static int imageOf(List<ComfyHistory.Image> images, String name) {
        if (images.isEmpty()) {
            return -1;
        }
        if (name != null) {
            for (int i = 0; i < images.size(); i++) {
                String f = images.get(i).filename();
                int dot = f.lastIndexOf('.');
                String base = dot < 0 ? f : f.substring(0, dot);
                if (f.equals(name) || base.equals(name) || COUNTER.matcher(base).replaceFirst("").equals(name)) {
                    return i;
                }
            }
        }
        return 0;
    }
}
