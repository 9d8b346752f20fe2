package io.sluice.config;

import java.time.Duration;

/**
 * Upstream timeouts: connect, response (request written to response head), read (between two reads of a
 * response body, as nginx's proxy_read_timeout), idle (pooled connection).
 */
public record TimeoutsConfig(Duration connect, Duration response, Duration read, Duration idle) {
    public static final TimeoutsConfig DEFAULTS = new TimeoutsConfig(Duration.ofSeconds(2), Duration.ofSeconds(30),
            Duration.ofSeconds(60), Duration.ofSeconds(60));
}
