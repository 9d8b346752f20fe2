package io.sluice.config;

import io.sluice.filter.api.FilterSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/** A filter's settings mapping, read through the loader's {@link Fields}: errors carry FILE:LINE:COL. */
final class YamlFilterSettings implements FilterSettings {
    private final YamlReader reader;
    private final Fields fields;
    private final String type;
    private final boolean sharedStore;

    YamlFilterSettings(YamlReader reader, Fields fields, String type) {
        this(reader, fields, type, false);
    }

    YamlFilterSettings(YamlReader reader, Fields fields, String type, boolean sharedStore) {
        this.reader = reader;
        this.fields = fields;
        this.type = type;
        this.sharedStore = sharedStore;
    }

    @Override
    public boolean sharedStore() {
        return sharedStore;
    }

    @Override
    public boolean has(String key) {
        return fields.has(key);
    }

    @Override
    public boolean require(String key) {
        return fields.require(key);
    }

    @Override
    public String string(String key, String fallback) {
        return fields.string(key, fallback);
    }

    @Override
    public int integer(String key, int fallback, int min, int max) {
        return fields.integer(key, fallback, min, max);
    }

    @Override
    public Duration duration(String key, Duration fallback) {
        return fields.duration(key, fallback, false);
    }

    @Override
    public long size(String key, long fallback) {
        return fields.value(key, fallback, Sizes::parse);
    }

    @Override
    public boolean bool(String key, boolean fallback) {
        return fields.value(key, fallback, UpstreamBinder::bool);
    }

    @Override
    public List<String> strings(String key) {
        return fields.strings(key);
    }

    @Override
    public java.util.Map<String, String> stringMap(String key) {
        if (!fields.has(key)) {
            return java.util.Map.of();
        }
        java.util.Map<String, org.snakeyaml.engine.v2.nodes.NodeTuple> entries = reader.entries(fields.node(key), key);
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        if (entries != null) {
            for (java.util.Map.Entry<String, org.snakeyaml.engine.v2.nodes.NodeTuple> e : entries.entrySet()) {
                String v = reader.text(e.getValue().getValueNode(), key + "." + e.getKey());
                if (v != null) {
                    out.put(e.getKey(), v);
                }
            }
        }
        return out;
    }

    @Override
    public <T> T value(String key, T fallback, Function<String, T> parse) {
        return fields.value(key, fallback, parse);
    }

    @Override
    public void error(String key, String message) {
        reader.error(fields.has(key) ? fields.node(key) : fields.at(), message);
    }

    @Override
    public Path resolve(String path) {
        return reader.resolve(path);
    }

    @Override
    public String toString() {
        return type;
    }
}
