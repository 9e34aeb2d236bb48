package batchimage.index;

import java.sql.Connection;
import java.util.Map;

/** A maintenance run that holds the library's lock (a sync run): the connection that holds it, and where the run records what it did. */
public interface RunUnderLock {

    Connection lock();

    Map<String, Object> drift();
}
