package batchimage.ingest;

import batchimage.store.Durably;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.camel.Exchange;
import org.apache.camel.Ordered;
import org.apache.camel.spi.Synchronization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once the inbox route has moved a file to done/ or error/ (Camel's file consumer does it when the exchange
 * completes), the move is forced to disk: both folders' entries. Runs after the consumer's own completion (the
 * lowest order): a file in done/ is then done for good, and a power loss cannot bring it back to the inbox.
 */
final class DurableMove implements Synchronization, Ordered {

    private static final Logger LOG = LoggerFactory.getLogger(DurableMove.class);

    private final Path inbox;

    DurableMove(Path inbox) {
        this.inbox = inbox;
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST;
    }

    @Override
    public void onComplete(Exchange exchange) {
        String target = exchange.getProperty(Importer.TARGET, String.class);
        if (target == null) {
            return;
        }
        Path to = inbox.resolveSibling(target);
        try {
            Durably.syncDirectory(to);
            Durably.syncDirectory(inbox);
        } catch (IOException e) {
            LOG.warn("cannot force the move of {} into {} to disk: {}", exchange.getMessage().getHeader(Exchange.FILE_NAME), to, e.toString());
        }
    }

    @Override
    public void onFailure(Exchange exchange) {
        // the file stays in the inbox: nothing moved
    }
}
