package io.sluice.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * The position-aware half of the loader: walks a composed YAML node tree, turns scalars into values
 * (expanding {@code ${NAME}} on the way) and records every problem as a {@link ConfigError} at the node it
 * concerns instead of throwing. Helpers return a fallback after recording an error, so the walk goes on and
 * one pass reports everything. Used by one thread, for one load.
 */
final class YamlReader {

    private final String fileName;
    private final Path baseDir;
    private final EnvExpander env;
    private final List<ConfigError> errors = new ArrayList<>();

    YamlReader(String fileName, Path baseDir, Map<String, String> env) {
        this.fileName = fileName;
        this.baseDir = baseDir;
        this.env = new EnvExpander(env);
    }

    /** What the {@code ${NAME}} references read so far expanded to. */
    ExpandedValues expanded() {
        return env.expanded();
    }

    /** Every error so far, without repeats (an aliased node is walked twice), in file order. */
    List<ConfigError> errors() {
        List<ConfigError> sorted = new ArrayList<>(new LinkedHashSet<>(errors));
        sorted.sort(Comparator.comparingInt(ConfigError::line).thenComparingInt(ConfigError::column));
        return sorted;
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    void error(Node node, String message) {
        error(node == null ? null : node.getStartMark().orElse(null), message);
    }

    void error(Mark mark, String message) {
        if (mark == null) {
            errors.add(new ConfigError(fileName, 1, 1, message));
        } else {
            errors.add(new ConfigError(fileName, mark.getLine() + 1, mark.getColumn() + 1, message));
        }
    }

    /** Resolves a path from the file against the file's directory; absolute and normalized. */
    Path resolve(String path) {
        return baseDir.resolve(path).toAbsolutePath().normalize();
    }

    static boolean isNull(Node node) {
        return node == null || node instanceof ScalarNode s && s.isPlain() && Tag.NULL.equals(s.getTag());
    }

    static String kind(Node node) {
        if (isNull(node)) {
            return "nothing";
        }
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        return "'" + ((ScalarNode) node).getValue() + "'";
    }

    /**
     * The keys of a mapping, checked against {@code known}: unknown keys (with "did you mean") and duplicate
     * keys are errors. An empty value ({@code key:} with nothing after it) reads as an empty mapping.
     * Returns null after an error when {@code node} is not a mapping.
     *
     * @param where the place for messages, e.g. "in listener" or "at the top level"
     */
    Fields fields(Node node, String key, String where, List<String> known) {
        Map<String, NodeTuple> entries = entries(node, key);
        if (entries == null) {
            return null;
        }
        Map<String, NodeTuple> kept = new LinkedHashMap<>();
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            if (known.contains(e.getKey())) {
                kept.put(e.getKey(), e.getValue());
            } else {
                error(e.getValue().getKeyNode(), "unknown key '" + e.getKey() + "' " + where
                        + Suggestions.didYouMean(e.getKey(), known));
            }
        }
        return new Fields(this, node, where, kept);
    }

    /**
     * A mapping whose keys the user chooses (upstream names, header names), in file order; duplicate keys
     * and non-scalar keys are errors. An empty value reads as an empty mapping; null after an error.
     */
    Map<String, NodeTuple> entries(Node node, String key) {
        if (isNull(node)) {
            return Map.of();
        }
        if (!(node instanceof MappingNode mapping)) {
            error(node, "'" + key + "' must be a mapping, not " + kind(node));
            return null;
        }
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple t : mapping.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k) || isNull(k)) {
                error(t.getKeyNode(), "keys in '" + key + "' must be plain names");
                continue;
            }
            NodeTuple first = out.putIfAbsent(k.getValue(), t);
            if (first != null) {
                int line = first.getKeyNode().getStartMark().map(m -> m.getLine() + 1).orElse(1);
                error(k, "duplicate key '" + k.getValue() + "' (first on line " + line + ")");
            }
        }
        return out;
    }

    /** The items of a list; an empty value reads as an empty list; null after an error. */
    List<Node> list(Node node, String key) {
        if (isNull(node)) {
            return List.of();
        }
        if (!(node instanceof SequenceNode seq)) {
            error(node, "'" + key + "' must be a list, not " + kind(node));
            return null;
        }
        return seq.getValue();
    }

    /** A scalar's text with {@code ${NAME}} expanded; null (after an error) when it has none or is not a scalar. */
    String text(Node node, String key) {
        if (isNull(node)) {
            error(node, "missing value for '" + key + "'");
            return null;
        }
        if (!(node instanceof ScalarNode s)) {
            error(node, "'" + key + "' must be a single value, not " + kind(node));
            return null;
        }
        try {
            return env.expand(s.getValue());
        } catch (IllegalArgumentException e) {
            error(node, e.getMessage());
            return null;
        }
    }

    /** {@link #text} passed through {@code parse}; its IllegalArgumentException becomes an error at the value. */
    <T> T value(Node node, String key, Function<String, T> parse) {
        String t = text(node, key);
        if (t == null) {
            return null;
        }
        try {
            return parse.apply(t);
        } catch (IllegalArgumentException e) {
            error(node, e.getMessage());
            return null;
        }
    }

    /** A whole number in [min, max]; null after an error. */
    Integer integer(Node node, String key, int min, int max) {
        String t = text(node, key);
        if (t == null) {
            return null;
        }
        long v;
        try {
            v = Long.parseLong(t.strip());
        } catch (NumberFormatException e) {
            error(node, "bad integer '" + t + "' for '" + key + "' (expected " + range(min, max) + ")");
            return null;
        }
        if (v < min || v > max) {
            error(node, key + " " + v + " out of range (expected " + range(min, max) + ")");
            return null;
        }
        return (int) v;
    }

    private static String range(long min, long max) {
        if (max == Integer.MAX_VALUE) {
            return "a whole number >= " + min;
        }
        return "a whole number from " + min + " to " + max;
    }

    /** A list of strings, each expanded; a single value is not a list. Bad items are left out after an error. */
    List<String> strings(Node node, String key) {
        List<Node> items = list(node, key);
        if (items == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Node item : items) {
            String t = text(item, key);
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }
}
