package io.sluice.config;

import java.time.Duration;

/**
 * Active health checking ({@code health_check:}); statuses in [expectStatusMin, expectStatusMax] pass.
 * {@code type} is {@code http} (GET {@code path}) or {@code tcp} (a connect that succeeds passes);
 * {@code host} is the Host header of http checks, null for the endpoint's address.
 */
public record HealthCheckConfig(
        String path,
        Duration interval,
        Duration timeout,
        int healthyThreshold,
        int unhealthyThreshold,
        int expectStatusMin,
        int expectStatusMax,
        String type,
        String host) {

    public static final String HTTP = "http";
    public static final String TCP = "tcp";

    public static final HealthCheckConfig DEFAULTS =
            new HealthCheckConfig("/", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 200, 399);

    public HealthCheckConfig {
        type = type == null ? HTTP : type;
    }

    /** An http check without a Host override. */
    public HealthCheckConfig(String path, Duration interval, Duration timeout, int healthyThreshold,
                             int unhealthyThreshold, int expectStatusMin, int expectStatusMax) {
        this(path, interval, timeout, healthyThreshold, unhealthyThreshold, expectStatusMin, expectStatusMax, HTTP,
                null);
    }
}
