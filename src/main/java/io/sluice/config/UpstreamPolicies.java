package io.sluice.config;

/**
 * An upstream's traffic policies from the gateway contract: {@code circuit_breaker} and {@code sticky},
 * each null when not given (off).
 */
public record UpstreamPolicies(CircuitBreakerConfig circuitBreaker, StickyConfig sticky) {
    public static final UpstreamPolicies NONE = new UpstreamPolicies(null, null);
}
