package io.sluice.config;

import java.util.List;

/**
 * One {@code upstreams:} entry. {@code healthCheck}, {@code passive} and {@code retry} are null when
 * not given (the feature is off); {@code hashOn} is null unless the balancer is consistent_hash.
 */
public record UpstreamConfig(
        String name,
        String balancer,
        String hashOn,
        int virtualNodes,
        List<EndpointConfig> endpoints,
        HealthCheckConfig healthCheck,
        PassiveConfig passive,
        RetryConfig retry,
        TimeoutsConfig timeouts) {

    public static final String DEFAULT_BALANCER = "round_robin";
    public static final int DEFAULT_VIRTUAL_NODES = 160;

    public UpstreamConfig {
        endpoints = List.copyOf(endpoints);
        timeouts = timeouts == null ? TimeoutsConfig.DEFAULTS : timeouts;
    }
}
