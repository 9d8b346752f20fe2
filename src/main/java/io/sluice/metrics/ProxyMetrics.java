package io.sluice.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The proxy's Prometheus metrics. One instance for the process, kept across reloads so counters
 * never go backwards.
 */
public final class ProxyMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    public PrometheusRegistry registry() {
        return registry;
    }

    /**
     * The recorder for requests answered through {@code endpoint} of {@code upstream}; both are ""
     * for the proxy's own answers. Callers keep it: looking it up is not for every request.
     */
    public RequestMetrics requests(String upstream, String endpoint) {
        return (status, nanos) -> { };
    }

    /** Records one finished request. Implementations do not allocate per call once warm. */
    @FunctionalInterface
    public interface RequestMetrics {
        void record(int status, long durationNanos);
    }
}
