package io.sluice.config;

import java.nio.file.Path;

/**
 * Reads a YAML 1.2 (core schema) configuration file into a validated {@link SluiceConfig}.
 * Collects every error with its line and column instead of stopping at the first.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Loads and validates {@code file}; relative paths in it resolve against its directory. */
    public static SluiceConfig load(Path file) throws ConfigException {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * Parses {@code yaml} as if it were the content of {@code file} (used for error messages and for
     * resolving relative paths; the file itself is not read).
     */
    public static SluiceConfig parse(String yaml, Path file) throws ConfigException {
        throw new UnsupportedOperationException("TODO");
    }
}
