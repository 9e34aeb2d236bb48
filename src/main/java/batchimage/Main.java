package batchimage;

import batchimage.cli.Application;

/** {@code java -jar batch-image.jar}: the command line (cli/Application). */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(Application.execute(args));
    }
}
