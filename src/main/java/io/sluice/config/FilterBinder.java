package io.sluice.config;

import io.sluice.filter.FilterTypes;
import io.sluice.filter.api.FilterFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * Binds a {@code filters:} list (of a listener or a route): each item a mapping with one key, the filter's
 * type, whose value holds its settings. The type's factory reads the settings; its errors, like ours, carry
 * FILE:LINE:COL.
 */
final class FilterBinder {
    private final YamlReader r;
    private final FilterTypes types;
    private final boolean sharedStore;

    FilterBinder(YamlReader reader, FilterTypes types) {
        this(reader, types, false);
    }

    /** {@code sharedStore}: the configuration has a {@code redis:} block (filters may use {@code store: redis}). */
    FilterBinder(YamlReader reader, FilterTypes types, boolean sharedStore) {
        this.r = reader;
        this.types = types;
        this.sharedStore = sharedStore;
    }

    List<FilterConfig> bind(Node node) {
        List<Node> items = r.list(node, "filters");
        if (items == null) {
            return List.of();
        }
        List<FilterConfig> out = new ArrayList<>();
        for (Node item : items) {
            FilterConfig f = item(item);
            if (f != null) {
                out.add(f);
            }
        }
        return out;
    }

    private FilterConfig item(Node item) {
        Map<String, NodeTuple> entries = r.entries(item, "filters");
        if (entries == null) {
            return null;
        }
        if (entries.size() != 1) {
            r.error(item, "a filter is a mapping with one key, its type (e.g. '- rate_limit: { rate: 10/s }'), not "
                    + entries.size() + " keys");
            return null;
        }
        Map.Entry<String, NodeTuple> only = entries.entrySet().iterator().next();
        String type = only.getKey();
        FilterFactory<?> factory = types.get(type);
        if (factory == null) {
            String hint = Suggestions.didYouMean(type, types.names());
            r.error(only.getValue().getKeyNode(), "unknown filter '" + type + "'" + (hint.isEmpty()
                    ? " (expected one of " + String.join(", ", types.names()) + ", or one from a jar under 'plugins')"
                    : hint));
            return null;
        }
        Fields f = r.fields(only.getValue().getValueNode(), type, "in " + type, factory.keys());
        if (f == null) {
            return null;
        }
        int errorsBefore = r.errors().size();
        Object settings;
        try {
            settings = factory.configure(new YamlFilterSettings(r, f, type, sharedStore));
        } catch (RuntimeException e) {
            r.error(only.getValue().getKeyNode(), "filter '" + type + "' could not read its settings: " + e);
            return null;
        }
        if (settings == null && r.errors().size() == errorsBefore) {
            r.error(only.getValue().getKeyNode(), "filter '" + type + "' refused its settings");
        }
        int line = item.getStartMark().map(m -> m.getLine() + 1).orElse(1);
        return settings == null ? null : new FilterConfig(type, factory, settings, line);
    }
}
