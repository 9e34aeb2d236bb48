package batchimage.api;

import batchimage.config.Settings;
import batchimage.images.ImageHandler;
import batchimage.images.ImageRecords;
import batchimage.images.MediaFolders;
import batchimage.images.ThumbnailRenderer;
import batchimage.images.Thumbnails;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.LoggerFactory;

/**
 * The images (docs/API.md "Images"): {@code GET /api/images/{id}}, the record's file streamed, and
 * {@code GET /api/images/{id}/thumbnail}, a JPEG; called by the routes of routes/api.camel.yaml.
 */
public final class ImagesApi {

    /** Longest side of a thumbnail, in pixels. */
    public static final int THUMBNAIL_SIDE = 256;

    private final ImageHandler images;

    public ImagesApi(ImageHandler images) {
        this.images = images;
    }

    /** Media folders from {@code media.dirs}, thumbnails kept in {@code <data>/thumbs}. */
    public static ImagesApi of(Settings settings, DataSource dataSource, MediaFolders folders) {
        var thumbnails = new Thumbnails(settings.dataDir().resolve("thumbs"), new ThumbnailRenderer(THUMBNAIL_SIDE));
        LoggerFactory.getLogger(ImagesApi.class).info("images served from {}, thumbnails kept in {}", folders.folders(), thumbnails.dir());
        return new ImagesApi(new ImageHandler(new ImageRecords(dataSource), folders, thumbnails));
    }

    public Thumbnails thumbnails() {
        return images.thumbnails();
    }

    /** {@code GET /api/images/{id}}. */
    public void image(Exchange ex) {
        images.image(ex);
    }

    /** {@code GET /api/images/{id}/thumbnail}. */
    public void thumbnail(Exchange ex) {
        images.thumbnail(ex);
    }
}
