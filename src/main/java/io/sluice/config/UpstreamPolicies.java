package io.sluice.config;

/**
 * An upstream's policies from the gateway contract: {@code circuit_breaker}, {@code sticky} and
 * {@code discovery}, each null when not given (off).
 */
public record UpstreamPolicies(CircuitBreakerConfig circuitBreaker, StickyConfig sticky, DiscoveryConfig discovery) {
    public static final UpstreamPolicies NONE = new UpstreamPolicies(null, null, null);

    public UpstreamPolicies(CircuitBreakerConfig circuitBreaker, StickyConfig sticky) {
        this(circuitBreaker, sticky, null);
    }
}
