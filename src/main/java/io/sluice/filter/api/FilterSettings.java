package io.sluice.filter.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * The settings of one filter as written in the configuration ({@code - rate_limit: { rate: 10/s }}).
 * Getters return the fallback when the key is absent, and after recording an error (with the file, line
 * and column of the value) when its value is bad; the loader reports every error at once.
 */
public interface FilterSettings {

    boolean has(String key);

    /** Records "missing key" and returns false when {@code key} is absent. */
    boolean require(String key);

    String string(String key, String fallback);

    int integer(String key, int fallback, int min, int max);

    /** A duration such as {@code 250ms}, {@code 2s}, {@code 1m}. */
    Duration duration(String key, Duration fallback);

    /** A size in bytes such as {@code 512}, {@code 64KiB}, {@code 10MiB}. */
    long size(String key, long fallback);

    boolean bool(String key, boolean fallback);

    /** A mapping of names to strings ({@code { sub: X-User }}), in file order; empty when absent or after an error. */
    default java.util.Map<String, String> stringMap(String key) {
        return java.util.Map.of();
    }

    /** Whether the configuration has the shared store ({@code redis:}), which {@code store: redis} settings need. */
    default boolean sharedStore() {
        return false;
    }

    /** A list of strings; empty when absent. */
    List<String> strings(String key);

    /**
     * The value of {@code key} passed through {@code parse}; an {@link IllegalArgumentException} it throws
     * becomes an error at the value with its message.
     */
    <T> T value(String key, T fallback, Function<String, T> parse);

    /** Records an error at the value of {@code key} (at the filter when the key is absent). */
    void error(String key, String message);

    /** A path relative to the configuration file's directory. */
    Path resolve(String path);
}
