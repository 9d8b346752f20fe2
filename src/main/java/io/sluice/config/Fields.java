package io.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * The known keys of one YAML mapping (unknown and duplicate keys were already reported by
 * {@link YamlReader#fields}), with typed getters that fall back to a default when the key is absent and
 * after recording an error when its value is bad.
 */
final class Fields {

    private final YamlReader reader;
    private final Node mapping;
    private final String where;
    private final Map<String, NodeTuple> entries;

    Fields(YamlReader reader, Node mapping, String where, Map<String, NodeTuple> entries) {
        this.reader = reader;
        this.mapping = mapping;
        this.where = where;
        this.entries = entries;
    }

    /** The mapping itself (where "missing key" errors point). */
    Node at() {
        return mapping;
    }

    boolean has(String key) {
        return entries.containsKey(key);
    }

    /** The value node of {@code key}, or null when absent. */
    Node node(String key) {
        NodeTuple t = entries.get(key);
        return t == null ? null : t.getValueNode();
    }

    /** The key node of {@code key} (where "this key is not allowed here" errors point), or null. */
    Node keyNode(String key) {
        NodeTuple t = entries.get(key);
        return t == null ? null : t.getKeyNode();
    }

    /** Reports {@code key} missing and returns false, or returns true when it is there. */
    boolean require(String key) {
        if (has(key)) {
            return true;
        }
        reader.error(mapping, "missing key '" + key + "' " + where);
        return false;
    }

    String string(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        String t = reader.text(node(key), key);
        return t == null ? fallback : t;
    }

    /** A non-empty string; the empty string is an error. */
    String name(String key, String fallback) {
        String t = string(key, null);
        if (t == null) {
            return fallback;
        }
        if (t.isBlank()) {
            reader.error(node(key), "'" + key + "' must not be empty");
            return fallback;
        }
        return t;
    }

    int integer(String key, int fallback, int min, int max) {
        if (!has(key)) {
            return fallback;
        }
        Integer v = reader.integer(node(key), key, min, max);
        return v == null ? fallback : v;
    }

    /** A duration; {@code positive} rejects zero. */
    Duration duration(String key, Duration fallback, boolean positive) {
        if (!has(key)) {
            return fallback;
        }
        Duration d = reader.value(node(key), key, Durations::parse);
        if (d == null) {
            return fallback;
        }
        if (positive && d.isZero()) {
            reader.error(node(key), key + " 0 out of range (expected more than 0, e.g. 1s)");
            return fallback;
        }
        return d;
    }

    <T> T value(String key, T fallback, Function<String, T> parse) {
        if (!has(key)) {
            return fallback;
        }
        T v = reader.value(node(key), key, parse);
        return v == null ? fallback : v;
    }

    /** A list of strings; empty when absent. */
    List<String> strings(String key) {
        return has(key) ? reader.strings(node(key), key) : List.of();
    }

    /** A file-system path resolved against the configuration file's directory, or null. */
    Path path(String key) {
        String t = name(key, null);
        return t == null ? null : reader.resolve(t);
    }
}
