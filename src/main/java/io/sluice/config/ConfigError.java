package io.sluice.config;

/** One problem in a configuration file, printed as {@code FILE:LINE:COL: message} (1-based). */
public record ConfigError(String file, int line, int column, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + message;
    }
}
