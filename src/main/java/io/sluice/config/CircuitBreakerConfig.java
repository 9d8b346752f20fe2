package io.sluice.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * {@code circuit_breaker:} on an upstream. It opens when at least {@code failureRatio} (a share, 0.5 =
 * 50%) of the attempts within {@code window} failed and the window holds at least {@code minRequests}
 * attempts; then answers 503 for {@code openFor}; then lets {@code halfOpenRequests} trial requests
 * through. What counts as a failure: the conditions in {@code on} ({@code connect_failure}, {@code
 * reset}, {@code timeout}), any 5xx when {@code any5xx}, and the status codes in {@code statuses}.
 */
public record CircuitBreakerConfig(double failureRatio, int minRequests, Duration window, Duration openFor,
                                   int halfOpenRequests, Set<String> on, boolean any5xx, Set<Integer> statuses) {
    public static final List<String> CONDITIONS = List.of("connect_failure", "reset", "timeout");
    public static final CircuitBreakerConfig DEFAULTS = new CircuitBreakerConfig(0.5, 20, Duration.ofSeconds(10),
            Duration.ofSeconds(5), 1, Set.copyOf(CONDITIONS), true, Set.of());

    public CircuitBreakerConfig {
        on = Set.copyOf(on);
        statuses = Set.copyOf(statuses);
    }

    /** Whether a response with {@code status} counts as a failure. */
    public boolean failureStatus(int status) {
        return (any5xx && status >= 500 && status <= 599) || (!statuses.isEmpty() && statuses.contains(status));
    }
}
