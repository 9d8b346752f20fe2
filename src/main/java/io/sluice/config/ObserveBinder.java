package io.sluice.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.snakeyaml.engine.v2.nodes.Node;

/** Binds the top-level {@code access_log:} and {@code tracing:} blocks. */
final class ObserveBinder {
    static final List<String> ACCESS_LOG_KEYS = List.of("enabled", "format", "path", "fields", "queue_size");
    static final List<String> TRACING_KEYS = List.of("enabled");
    static final List<String> FORMATS = List.of("combined", "json");

    private ObserveBinder() {
    }

    static AccessLogConfig accessLog(YamlReader r, Node node) {
        Fields f = r.fields(node, "access_log", "in access_log", ACCESS_LOG_KEYS);
        if (f == null) {
            return null;
        }
        boolean enabled = f.value("enabled", true, ObserveBinder::bool);
        AccessLogConfig.Format format = f.value("format", AccessLogConfig.Format.COMBINED, ObserveBinder::format);
        String where = f.name("path", "stdout");
        Path file = "stdout".equals(where) ? null : f.path("path");
        List<String> fields = new ArrayList<>();
        if (f.has("fields")) {
            for (String field : f.strings("fields")) {
                if (!AccessLogConfig.FIELDS.contains(field)) {
                    r.error(f.node("fields"), "unknown access_log field '" + field + "'"
                            + Suggestions.didYouMean(field, AccessLogConfig.FIELDS)
                            + " (expected some of " + String.join(", ", AccessLogConfig.FIELDS) + ")");
                } else {
                    fields.add(field);
                }
            }
        } else {
            fields.addAll(format == AccessLogConfig.Format.JSON ? AccessLogConfig.FIELDS : AccessLogConfig.COMBINED_EXTRA);
        }
        int queue = f.integer("queue_size", AccessLogConfig.DEFAULT_QUEUE_SIZE, 16, 1 << 20);
        return new AccessLogConfig(enabled, format, file, fields, queue);
    }

    static TracingConfig tracing(YamlReader r, Node node) {
        Fields f = r.fields(node, "tracing", "in tracing", TRACING_KEYS);
        if (f == null) {
            return TracingConfig.DEFAULTS;
        }
        return new TracingConfig(f.value("enabled", true, ObserveBinder::bool));
    }

    private static Boolean bool(String s) {
        return switch (s) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("expected true or false, got '" + s + "'");
        };
    }

    private static AccessLogConfig.Format format(String s) {
        if (FORMATS.contains(s)) {
            return AccessLogConfig.Format.valueOf(s.toUpperCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("unknown access_log format '" + s + "'" + Suggestions.didYouMean(s, FORMATS)
                + " (expected combined or json)");
    }
}
