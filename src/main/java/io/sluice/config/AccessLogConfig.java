package io.sluice.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The top-level {@code access_log:} block. {@code file} null means stdout. {@code fields} are the JSON
 * keys, in order, or for {@code combined} the {@code key=value} pairs appended to the combined line.
 */
public record AccessLogConfig(boolean enabled, Format format, Path file, List<String> fields, int queueSize) {

    /** Every field the access log knows, in the order a JSON line has them by default. */
    public static final List<String> FIELDS = List.of("time", "request_id", "client_ip", "method", "uri",
            "protocol", "status", "bytes_in", "bytes_out", "duration_ms", "listener", "route", "upstream",
            "endpoint", "attempts", "upstream_error", "upstream_connect_ms", "upstream_header_ms", "trace_id", "span_id",
            "user_agent", "referer", "host", "cache_status");
    /** What {@code combined} appends to the Apache combined line unless {@code fields} says otherwise. */
    public static final List<String> COMBINED_EXTRA = List.of("request_id", "route", "endpoint", "attempts",
            "upstream_error", "upstream_connect_ms", "upstream_header_ms", "duration_ms");
    public static final int DEFAULT_QUEUE_SIZE = 8192;

    public enum Format { COMBINED, JSON }

    public AccessLogConfig {
        fields = List.copyOf(fields);
    }
}
