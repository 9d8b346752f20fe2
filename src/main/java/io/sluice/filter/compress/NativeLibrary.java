package io.sluice.filter.compress;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads a coding's native library once, and says in the log when it cannot. */
final class NativeLibrary {
    private static final Logger log = LoggerFactory.getLogger(NativeLibrary.class);

    private NativeLibrary() {
    }

    /**
     * Runs {@code load}; null when it worked, else why not (logged: the coding is then never chosen). The library
     * is taken from the folder of native libraries beside the jar when there is one there ({@code target/native},
     * a distribution's {@code lib/native}, first on {@code java.library.path}, see bin/sluice): it is named to the
     * loader by {@code property}, so that it does not unpack a copy into /tmp at every start.
     *
     * @param file a glob for the library's file name, e.g. {@code libzstd-jni-*.so}
     */
    static Throwable load(Coding coding, String property, String file, Runnable load) {
        if (System.getProperty(property) == null) {
            Path found = onLibraryPath(file);
            if (found != null) {
                System.setProperty(property, found.toString());
            }
        }
        try {
            load.run();
            return null;
        } catch (LinkageError | RuntimeException e) {
            log.error("compress: the native library of '{}' cannot load on this machine ({}); responses get the"
                    + " client's next choice among algorithms instead", coding.token(), e.toString());
            return e;
        }
    }

    /** The first file matching {@code glob} in a folder of {@code java.library.path}, or null. */
    static Path onLibraryPath(String glob) {
        String path = System.getProperty("java.library.path", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty() || !Files.isDirectory(Path.of(dir))) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(Path.of(dir), glob)) {
                for (Path f : files) {
                    return f.toAbsolutePath();
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable folder: the next one
            }
        }
        return null;
    }
}
