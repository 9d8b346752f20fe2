package io.sluice.config;

import java.util.List;

/**
 * One {@code upstreams:} entry. {@code healthCheck}, {@code passive} and {@code retry} are null when
 * not given (the feature is off); {@code hashOn} is null unless the balancer is consistent_hash.
 * {@code hashBalanceFactor} is consistent_hash's bounded-load factor (0 = off; 0.25 means no endpoint
 * above 1.25 times the mean load); {@code slowStart} is Duration.ZERO when off; {@code panicThreshold}
 * is a share in [0, 1] (0 = off): below it, the balancers use every endpoint as if healthy.
 * {@code protocol} and {@code tls} (for https endpoints) say how the proxy talks to the endpoints.
 * {@code policies}: the circuit breaker and sticky sessions, each null when not configured.
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
        double panicThreshold,
        Wire protocol,
        UpstreamTlsConfig tls,
        SendProxyProtocol sendProxyProtocol,
        UpstreamPolicies policies) {

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
        protocol = protocol == null ? Wire.HTTP1 : protocol;
        tls = tls == null ? UpstreamTlsConfig.DEFAULTS : tls;
        sendProxyProtocol = sendProxyProtocol == null ? SendProxyProtocol.OFF : sendProxyProtocol;
        policies = policies == null ? UpstreamPolicies.NONE : policies;
    }

    /** Without traffic policies (circuit breaker, sticky sessions). */
    public UpstreamConfig(String name, String balancer, String hashOn, int virtualNodes, double hashBalanceFactor,
                          java.time.Duration slowStart, List<EndpointConfig> endpoints, HealthCheckConfig healthCheck,
                          PassiveConfig passive, RetryConfig retry, TimeoutsConfig timeouts, double panicThreshold,
                          Wire protocol, UpstreamTlsConfig tls, SendProxyProtocol sendProxyProtocol) {
        this(name, balancer, hashOn, virtualNodes, hashBalanceFactor, slowStart, endpoints, healthCheck, passive,
                retry, timeouts, panicThreshold, protocol, tls, sendProxyProtocol, UpstreamPolicies.NONE);
    }

    /** As the canonical constructor, sending no PROXY protocol header, without traffic policies. */
    public UpstreamConfig(String name, String balancer, String hashOn, int virtualNodes, double hashBalanceFactor,
                          java.time.Duration slowStart, List<EndpointConfig> endpoints, HealthCheckConfig healthCheck,
                          PassiveConfig passive, RetryConfig retry, TimeoutsConfig timeouts, double panicThreshold,
                          Wire protocol, UpstreamTlsConfig tls) {
        this(name, balancer, hashOn, virtualNodes, hashBalanceFactor, slowStart, endpoints, healthCheck, passive,
                retry, timeouts, panicThreshold, protocol, tls, SendProxyProtocol.OFF, UpstreamPolicies.NONE);
    }

    /**
     * {@code send_proxy_protocol:} each new connection to an endpoint starts with a PROXY protocol header of
     * this version naming the client (an http upstream's connection then serves that one client only).
     */
    public enum SendProxyProtocol {
        OFF, V1, V2;

        public static final List<String> NAMES = List.of("off", "v1", "v2");
    }


    /**
     * {@code protocol:} what the proxy speaks to the endpoints: HTTP/1.1, HTTP/2 (over TLS with ALPN for
     * https endpoints, by prior knowledge for plain ones) or HTTP/2 cleartext by prior knowledge.
     */
    public enum Wire {
        HTTP1, H2, H2C;

        public static final List<String> NAMES = List.of("http1", "h2", "h2c");
    }

    /** Without a panic threshold, HTTP/1.1 to the endpoints, default TLS settings. */
    public UpstreamConfig(String name, String balancer, String hashOn, int virtualNodes, double hashBalanceFactor,
                          java.time.Duration slowStart, List<EndpointConfig> endpoints, HealthCheckConfig healthCheck,
                          PassiveConfig passive, RetryConfig retry, TimeoutsConfig timeouts) {
        this(name, balancer, hashOn, virtualNodes, hashBalanceFactor, slowStart, endpoints, healthCheck, passive,
                retry, timeouts, 0, Wire.HTTP1, UpstreamTlsConfig.DEFAULTS, SendProxyProtocol.OFF);
    }
}
