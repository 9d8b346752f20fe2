package io.sluice.config;

import java.time.Duration;

/** Upstream timeouts: connect, response (request written to response head), idle (pooled connection). */
public record TimeoutsConfig(Duration connect, Duration response, Duration idle) {
    public static final TimeoutsConfig DEFAULTS =
            new TimeoutsConfig(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(60));
}
