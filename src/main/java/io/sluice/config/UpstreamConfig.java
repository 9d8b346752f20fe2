package io.sluice.config;

import java.util.List;

/**
 * One {@code upstreams:} entry. {@code healthCheck}, {@code passive} and {@code retry} are null when
 * not given (the feature is off); {@code hashOn} is null unless the balancer is consistent_hash.
 * {@code hashBalanceFactor} is consistent_hash's bounded-load factor (0 = off; 0.25 means no endpoint
 * above 1.25 times the mean load); {@code slowStart} is Duration.ZERO when off; {@code panicThreshold}
 * is a share in [0, 1] (0 = off): below it, the balancers use every endpoint as if healthy.
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
        TimeoutsConfig timeouts,
        double panicThreshold) {

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

    /** Without a panic threshold. */
    public UpstreamConfig(String name, String balancer, String hashOn, int virtualNodes, double hashBalanceFactor,
                          java.time.Duration slowStart, List<EndpointConfig> endpoints, HealthCheckConfig healthCheck,
                          PassiveConfig passive, RetryConfig retry, TimeoutsConfig timeouts) {
        this(name, balancer, hashOn, virtualNodes, hashBalanceFactor, slowStart, endpoints, healthCheck, passive,
                retry, timeouts, 0);
    }
}
