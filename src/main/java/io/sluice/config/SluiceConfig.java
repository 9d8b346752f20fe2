package io.sluice.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One whole, validated configuration: what {@link ConfigLoader} returns and what a reload swaps in.
 * Immutable; {@code file} is null for configurations built in code (quick mode, tests). {@code accessLog}
 * is null when the file has no {@code access_log:}, {@code redis} when it has no {@code redis:}.
 */
public record SluiceConfig(
        Path file,
        ServerConfig server,
        List<ListenerConfig> listeners,
        Map<String, UpstreamConfig> upstreams,
        AdminConfig admin,
        AccessLogConfig accessLog,
        TracingConfig tracing,
        ExpandedValues expanded,
        RedisConfig redis) {

    public SluiceConfig {
        listeners = List.copyOf(listeners);
        upstreams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(upstreams));
        tracing = tracing == null ? TracingConfig.DEFAULTS : tracing;
        expanded = expanded == null ? ExpandedValues.NONE : expanded;
    }

    /** No {@code redis:} block. */
    public SluiceConfig(Path file, ServerConfig server, List<ListenerConfig> listeners,
                        Map<String, UpstreamConfig> upstreams, AdminConfig admin, AccessLogConfig accessLog,
                        TracingConfig tracing, ExpandedValues expanded) {
        this(file, server, listeners, upstreams, admin, accessLog, tracing, expanded, null);
    }

    /** Nothing expanded from the environment (a configuration not read from a file). */
    public SluiceConfig(Path file, ServerConfig server, List<ListenerConfig> listeners,
                        Map<String, UpstreamConfig> upstreams, AdminConfig admin, AccessLogConfig accessLog,
                        TracingConfig tracing) {
        this(file, server, listeners, upstreams, admin, accessLog, tracing, ExpandedValues.NONE);
    }

    /** This configuration, knowing what its {@code ${NAME}} references expanded to (the admin API redacts them). */
    public SluiceConfig withExpanded(ExpandedValues values) {
        return new SluiceConfig(file, server, listeners, upstreams, admin, accessLog, tracing, values, redis);
    }

    /** No access log (null), tracing on. */
    public SluiceConfig(Path file, ServerConfig server, List<ListenerConfig> listeners,
                        Map<String, UpstreamConfig> upstreams, AdminConfig admin) {
        this(file, server, listeners, upstreams, admin, null, TracingConfig.DEFAULTS);
    }
}
