package batchimage.lineage;

/**
 * One decoded text chunk of a PNG.
 *
 * @param keyword the chunk's keyword, e.g. {@code prompt}, {@code workflow}, {@code parameters}
 * @param text the decoded (and inflated) text
 * @param chunkType {@code tEXt}, {@code zTXt} or {@code iTXt}
 */
public record PngText(String keyword, String text, String chunkType) {
}
