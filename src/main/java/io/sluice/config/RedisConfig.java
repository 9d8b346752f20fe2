package io.sluice.config;

import java.time.Duration;

/**
 * The top-level {@code redis:} block: the shared store several Sluice instances use to act as one
 * ({@code rate_limit} with {@code store: redis}). {@code address} is a Redis URI
 * ({@code redis://[:password@]host:port[/db]}, {@code rediss://} for TLS); {@code timeout} bounds each command.
 */
public record RedisConfig(String address, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(250);

    /** The address without its password, for logs and the admin API. */
    public String redacted() {
        return address.replaceFirst("//[^@/]*@", "//[redacted]@");
    }
}
