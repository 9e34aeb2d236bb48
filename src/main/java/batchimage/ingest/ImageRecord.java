package batchimage.ingest;

import java.util.UUID;

/** One input record mapped to its image_library row (DESIGN.md "Records"). */
public record ImageRecord(
        UUID id,
        String name,
        String filePath,
        String prompt,
        String description,
        String theme,
        String subTheme,
        String extraJson,
        int position) {
}
