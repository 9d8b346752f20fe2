package io.sluice.filter.compress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads a coding's native library once, and says in the log when it cannot. */
final class NativeLibrary {
    private static final Logger log = LoggerFactory.getLogger(NativeLibrary.class);

    private NativeLibrary() {
    }

    /** Runs {@code load}; null when it worked, else why not (logged: the coding is then never chosen). */
    static Throwable load(Coding coding, Runnable load) {
        try {
            load.run();
            return null;
        } catch (LinkageError | RuntimeException e) {
            log.error("compress: the native library of '{}' cannot load on this machine ({}); responses get the"
                    + " client's next choice among algorithms instead", coding.token(), e.toString());
            return e;
        }
    }
}
