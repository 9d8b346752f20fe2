package io.sluice.config;

import java.time.Duration;

/** Active health checking ({@code health_check:}); statuses in [expectStatusMin, expectStatusMax] pass. */
public record HealthCheckConfig(
        String path,
        Duration interval,
        Duration timeout,
        int healthyThreshold,
        int unhealthyThreshold,
        int expectStatusMin,
        int expectStatusMax) {

    public static final HealthCheckConfig DEFAULTS =
            new HealthCheckConfig("/", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 200, 399);
}
