package batchimage.lineage;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the generated-image fixtures are: ../shared/data/generated-images from the project, else /work/shared. */
final class Fixtures {

    private Fixtures() {
    }

    static Path dir() {
        Path relative = Path.of(System.getProperty("user.dir")).resolve("../shared/data/generated-images").normalize();
        if (Files.isRegularFile(relative.resolve("expected.json"))) {
            return relative;
        }
        Path absolute = Path.of("/work/shared/data/generated-images");
        if (Files.isRegularFile(absolute.resolve("expected.json"))) {
            return absolute;
        }
        throw new IllegalStateException("fixtures not found at " + relative + " nor " + absolute);
    }
}
