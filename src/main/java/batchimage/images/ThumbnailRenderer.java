package batchimage.images;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a JPEG thumbnail of an image file with Java2D: no side longer than {@code maxSide}, aspect ratio
 * kept, never enlarged, transparency flattened onto white, scaled down by successive halvings (each a
 * 2x2 average) and one last bicubic step, which keeps detail without the aliasing of one big step.
 */
public final class ThumbnailRenderer {

    private static final Logger LOG = LoggerFactory.getLogger(ThumbnailRenderer.class);
    private static final float QUALITY = 0.85f;

    static {
        // a server has no display; Java2D needs none to draw into images
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private final int maxSide;

    public ThumbnailRenderer(int maxSide) {
        if (maxSide < 1) {
            throw new IllegalArgumentException("a thumbnail side must be at least 1 pixel, got " + maxSide);
        }
        this.maxSide = maxSide;
    }

    public int maxSide() {
        return maxSide;
    }

    /** The thumbnail as JPEG bytes; empty when Java's image readers cannot read the file (WebP, corrupt, ...). */
    public Optional<byte[]> render(Path image) {
        return read(image).map(this::scale).map(ThumbnailRenderer::jpeg);
    }

    /**
     * Decodes the image, skipping rows and columns of very large ones while reading (subsampling) so that
     * memory stays bounded: what is decoded keeps at least four times the thumbnail's size for the halvings.
     */
    Optional<BufferedImage> read(Path image) {
        try (ImageInputStream in = ImageIO.createImageInputStream(image.toFile())) {
            if (in == null) {
                return Optional.empty();
            }
            var readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                LOG.debug("no image reader for {}", image);
                return Optional.empty();
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int longer = Math.max(reader.getWidth(0), reader.getHeight(0));
                ImageReadParam param = reader.getDefaultReadParam();
                int step = Math.max(1, longer / (maxSide * 4));
                if (step > 1) {
                    param.setSourceSubsampling(step, step, 0, 0);
                }
                return Optional.ofNullable(reader.read(0, param));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            // corrupt or truncated data, or a variant the reader does not support (CMYK JPEG): no thumbnail
            LOG.debug("cannot read {} as an image: {}", image, e.toString());
            return Optional.empty();
        }
    }

    /** Flattened onto white, then halved while that stays at or above the target, then one bicubic step to it. */
    BufferedImage scale(BufferedImage source) {
        int w = source.getWidth();
        int h = source.getHeight();
        double factor = Math.min(1.0, (double) maxSide / Math.max(w, h));
        int tw = Math.max(1, (int) Math.round(w * factor));
        int th = Math.max(1, (int) Math.round(h * factor));
        BufferedImage current = draw(source, w, h, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        while (current.getWidth() / 2 >= tw && current.getHeight() / 2 >= th) {
            current = draw(current, current.getWidth() / 2, current.getHeight() / 2, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        }
        if (current.getWidth() != tw || current.getHeight() != th) {
            current = draw(current, tw, th, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        }
        return current;
    }

    /** {@code source} drawn at the given size onto an opaque white RGB image. */
    private static BufferedImage draw(BufferedImage source, int width, int height, Object interpolation) {
        var out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setRenderingHint(RenderingHints.KEY_COLOR_RENDERING, RenderingHints.VALUE_COLOR_RENDER_QUALITY);
            g.drawImage(source, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    static byte[] jpeg(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        var bytes = new ByteArrayOutputStream(16 * 1024);
        // a memory stream: ImageIO's default would buffer through a temporary file
        try (var out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(QUALITY);
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a thumbnail as JPEG: " + e.getMessage(), e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
