package io.sluice.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.snakeyaml.engine.v2.nodes.Node;

/** Binds the top-level {@code access_log:} and {@code tracing:} blocks. */
final class ObserveBinder {
    static final List<String> ACCESS_LOG_KEYS = List.of("enabled", "format", "path", "fields", "queue_size");
    static final List<String> TRACING_KEYS = List.of("enabled", "otlp_endpoint", "service_name", "sample_ratio",
            "export_timeout", "queue_size");
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
        if (file != null) {
            String problem = unwritable(file);
            if (problem != null) {
                r.error(f.node("path"), "access_log path '" + file + "' cannot be written: " + problem);
            }
        }
        List<String> fields = new ArrayList<>();
        if (f.has("fields")) {
            List<Node> items = r.list(f.node("fields"), "fields");
            for (Node item : items == null ? List.<Node>of() : items) {
                String field = r.text(item, "fields");
                if (field == null) {
                    continue; // reported by text()
                }
                if (!AccessLogConfig.FIELDS.contains(field)) {
                    // at the item, not the list: COL points at the bad value
                    r.error(item, "unknown access_log field '" + field + "'"
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

    /**
     * Why the access log cannot be opened at {@code file} (appended to, created with its directories), or
     * null. Checked here so {@code sluice check} catches it with a position, not the first {@code run}.
     */
    static String unwritable(Path file) {
        if (Files.isDirectory(file)) {
            return "it is a directory (name a file in it, e.g. " + file.resolve("access.log") + ")";
        }
        if (Files.exists(file)) {
            return Files.isWritable(file) ? null : "no permission to write it (fix its owner or mode)";
        }
        Path parent = file.toAbsolutePath().getParent();
        Path dir = parent;
        while (dir != null && !Files.exists(dir)) {
            dir = dir.getParent(); // created when the log is opened
        }
        if (dir == null) {
            return null;
        }
        if (!Files.isDirectory(dir)) {
            return dir + " is not a directory (fix the path)";
        }
        // only a directory that exists: a missing one is often made at start (systemd LogsDirectory=)
        return !dir.equals(parent) || Files.isWritable(dir) ? null
                : "no permission to create files in " + dir + " (fix its owner or mode, or choose another path)";
    }

    static TracingConfig tracing(YamlReader r, Node node) {
        Fields f = r.fields(node, "tracing", "in tracing", TRACING_KEYS);
        if (f == null) {
            return TracingConfig.DEFAULTS;
        }
        boolean enabled = f.value("enabled", true, ObserveBinder::bool);
        String endpoint = f.value("otlp_endpoint", null, ObserveBinder::otlpEndpoint);
        String service = f.name("service_name", TracingConfig.DEFAULT_SERVICE_NAME);
        double ratio = f.value("sample_ratio", 1.0, ObserveBinder::ratio);
        java.time.Duration timeout = f.duration("export_timeout", TracingConfig.DEFAULT_EXPORT_TIMEOUT, true);
        int queue = f.integer("queue_size", TracingConfig.DEFAULT_QUEUE_SIZE, 16, 1 << 20);
        return new TracingConfig(enabled, endpoint, service, ratio, timeout, queue);
    }

    /** An absolute http or https URL with a host: where OTLP/HTTP spans are POSTed, as given. */
    private static String otlpEndpoint(String s) {
        java.net.URI uri = null;
        try {
            uri = new java.net.URI(s);
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        String scheme = uri == null || uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("bad otlp_endpoint '" + s
                    + "' (expected an http or https URL, e.g. http://127.0.0.1:4318/v1/traces)");
        }
        return s;
    }

    private static Double ratio(String s) {
        double d;
        try {
            d = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        if (!(d >= 0 && d <= 1)) {
            throw new IllegalArgumentException("sample_ratio '" + s + "' out of range (expected a number from 0 to 1, e.g. 0.1)");
        }
        return d;
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
