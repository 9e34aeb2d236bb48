package batchimage.images;

import java.nio.charset.StandardCharsets;

/**
 * What {@code /api/images/...} answers instead of an image (404, {@code X-Image-Placeholder}): a small SVG
 * the page can show where the picture would be.
 */
public enum Placeholder {
    /** The record has no file_path, the file is not in the media folders, or it cannot be shown. */
    MISSING("missing", "no image"),
    /** The file_path would leave the media folders: refused. */
    OUTSIDE("outside", "not in the media folders"),
    /** No record with that id (or no UUID at all). */
    UNKNOWN("unknown", "unknown image");

    public static final String HEADER = "X-Image-Placeholder";
    public static final String CONTENT_TYPE = "image/svg+xml";

    private final String header;
    private final byte[] svg;

    Placeholder(String header, String label) {
        this.header = header;
        this.svg = ("""
                <svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">\
                <rect width="256" height="256" fill="#eceff1"/>\
                <path d="M78 92h100v72H78z" fill="none" stroke="#90a4ae" stroke-width="6"/>\
                <path d="M84 158l30-34 22 24 14-14 22 24z" fill="#b0bec5"/>\
                <circle cx="154" cy="112" r="9" fill="#b0bec5"/>\
                <text x="128" y="202" font-family="sans-serif" font-size="16" fill="#607d8b" text-anchor="middle">%s</text>\
                </svg>""".formatted(label)).getBytes(StandardCharsets.UTF_8);
    }

    /** The value of {@value #HEADER}. */
    public String header() {
        return header;
    }

    public byte[] svg() {
        return svg.clone();
    }
}
