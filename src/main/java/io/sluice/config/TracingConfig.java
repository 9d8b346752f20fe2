package io.sluice.config;

import java.time.Duration;

/**
 * The top-level {@code tracing:} block: W3C trace context ({@code traceparent}) passed on to upstreams,
 * started when a request has none (on unless {@code enabled: false}); and, only when
 * {@code otlp_endpoint} is given, one span per forwarded request exported over OTLP/HTTP.
 *
 * @param otlpEndpoint the OTLP/HTTP traces URL (e.g. {@code http://127.0.0.1:4318/v1/traces}); null: no export
 * @param serviceName the {@code service.name} resource attribute of the exported spans
 * @param sampleRatio the share of traces the proxy starts that are sampled (0 to 1); a client's
 *                    {@code traceparent} keeps its own sampled flag
 * @param exportTimeout how long one export request may take
 * @param queueSize spans waiting for export; when full, spans are dropped and counted
 */
public record TracingConfig(boolean enabled, String otlpEndpoint, String serviceName, double sampleRatio,
                            Duration exportTimeout, int queueSize) {
    public static final String DEFAULT_SERVICE_NAME = "sluice";
    public static final Duration DEFAULT_EXPORT_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_QUEUE_SIZE = 2048;
    public static final TracingConfig DEFAULTS = new TracingConfig(true);

    /** Trace context only, no export. */
    public TracingConfig(boolean enabled) {
        this(enabled, null, DEFAULT_SERVICE_NAME, 1.0, DEFAULT_EXPORT_TIMEOUT, DEFAULT_QUEUE_SIZE);
    }

    /** Whether spans are exported: tracing on and an endpoint given. */
    public boolean exporting() {
        return enabled && otlpEndpoint != null;
    }
}
