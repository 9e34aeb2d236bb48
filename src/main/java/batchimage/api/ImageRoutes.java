package batchimage.api;

import batchimage.images.ImageHandler;
import batchimage.images.ImageRecords;
import batchimage.images.MediaFolders;
import batchimage.images.ThumbnailRenderer;
import batchimage.images.Thumbnails;

import batchimage.config.Settings;
import javax.sql.DataSource;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;
import org.slf4j.LoggerFactory;

/** Serves {@code GET /api/images/{id}} and {@code GET /api/images/{id}/thumbnail} (see docs/API.md, "Images"). */
public final class ImageRoutes extends RouteBuilder {

    /** Longest side of a thumbnail, in pixels. */
    public static final int THUMBNAIL_SIDE = 256;

    private final ImageHandler images;

    public ImageRoutes(ImageHandler images) {
        this.images = images;
    }

    /** Media folders from {@code media.dirs}, thumbnails kept in {@code <data>/thumbs}. */
    public static ImageRoutes of(Settings settings, DataSource dataSource, MediaFolders folders) {
        var thumbnails = new Thumbnails(settings.dataDir().resolve("thumbs"), new ThumbnailRenderer(THUMBNAIL_SIDE));
        LoggerFactory.getLogger(ImageRoutes.class).info("images served from {}, thumbnails kept in {}", folders.folders(), thumbnails.dir());
        return new ImageRoutes(new ImageHandler(new ImageRecords(dataSource), folders, thumbnails));
    }

    @Override
    public void configure() {
        bindToRegistry("thumbnails", images.thumbnails());
        // platform-http's default strategy drops Cache-Control from answers; images need it
        var headers = new HttpHeaderFilterStrategy();
        headers.getOutFilter().remove("cache-control");
        bindToRegistry("imageHeaderFilter", headers);

        from("platform-http:/api/images/{id}?httpMethodRestrict=GET&headerFilterStrategy=#imageHeaderFilter")
                .routeId("api-image").streamCache("false")
                .process(images::image);
        from("platform-http:/api/images/{id}/thumbnail?httpMethodRestrict=GET&headerFilterStrategy=#imageHeaderFilter")
                .routeId("api-image-thumbnail")
                .process(images::thumbnail);
    }
}
