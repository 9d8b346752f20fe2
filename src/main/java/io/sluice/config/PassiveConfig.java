package io.sluice.config;

import java.time.Duration;
import java.util.Set;

/**
 * Passive checks ({@code passive:}): {@code maxFailures} consecutive failures within {@code failTimeout}
 * take an endpoint out for {@code failTimeout}. Failures are connect failures, resets, response
 * timeouts, malformed responses and the statuses in {@code onStatus} (empty by default: any status is a
 * success).
 */
public record PassiveConfig(int maxFailures, Duration failTimeout, Set<Integer> onStatus) {
    public static final PassiveConfig DEFAULTS = new PassiveConfig(3, Duration.ofSeconds(10));

    public PassiveConfig {
        onStatus = onStatus == null ? Set.of() : Set.copyOf(onStatus);
    }

    public PassiveConfig(int maxFailures, Duration failTimeout) {
        this(maxFailures, failTimeout, Set.of());
    }
}
