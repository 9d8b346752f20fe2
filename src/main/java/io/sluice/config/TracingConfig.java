package io.sluice.config;

/**
 * The top-level {@code tracing:} block: W3C trace context ({@code traceparent}) passed on to upstreams,
 * started when a request has none. On unless {@code enabled: false}.
 */
public record TracingConfig(boolean enabled) {
    public static final TracingConfig DEFAULTS = new TracingConfig(true);
}
