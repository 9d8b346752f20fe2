package io.sluice.config;

import java.util.List;

/**
 * One {@code upstreams:} entry. {@code healthCheck}, {@code passive} and {@code retry} are null when
 * not given (the feature is off); {@code hashOn} is null unless the balancer is consistent_hash.
 * {@code hashBalanceFactor} is consistent_hash's bounded-load factor (0 = off; 0.25 means no endpoint
 * above 1.25 times the mean load); {@code slowStart} is Duration.ZERO when off.
 */
public record UpstreamConfig(
        String name,
        String balancer,
        String hashOn,
        int virtualNodes,
        double hashBalanceFactor,
        java.time.Duration slowStart,
        List<EndpointConfig> endpoints,
        HealthCheckConfig healthCheck,
        PassiveConfig passive,
        RetryConfig retry,
        TimeoutsConfig timeouts) {

    public static final String DEFAULT_BALANCER = "round_robin";
    public static final int DEFAULT_VIRTUAL_NODES = 160;

    /** Every name {@code balancer:} accepts; {@code io.sluice.balance.Balancers} builds each of them. */
    public static final List<String> BALANCERS = List.of(
            "random", "weighted_random", "round_robin", "weighted_round_robin", "lvs_weighted_round_robin",
            "least_connections", "power_of_two_choices", "consistent_hash", "peak_ewma");

    public UpstreamConfig {
        endpoints = List.copyOf(endpoints);
        timeouts = timeouts == null ? TimeoutsConfig.DEFAULTS : timeouts;
        slowStart = slowStart == null ? java.time.Duration.ZERO : slowStart;
    }
}
