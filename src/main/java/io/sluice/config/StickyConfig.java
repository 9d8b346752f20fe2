package io.sluice.config;

import java.time.Duration;

/**
 * {@code sticky:} on an upstream: exactly one of {@code cookie} (insert mode: the proxy sets a cookie of
 * that name naming the endpoint) and {@code learnCookie} (learn mode: the value of the application's own
 * cookie of that name is bound to the endpoint that set it) is non-null. {@code store} is where learn
 * mode keeps its bindings ({@code local}, or {@code redis}: the top-level {@code redis:} store). {@code ttl}: learn mode, how long an unused binding is kept
 * (default {@link #DEFAULT_LEARN_TTL}); insert mode, the cookie's Max-Age (null: a session cookie).
 */
public record StickyConfig(String cookie, String learnCookie, String store, Duration ttl) {
    public static final Duration DEFAULT_LEARN_TTL = Duration.ofMinutes(30);
    public static final String LOCAL = "local";
    public static final String REDIS = "redis";

    public boolean insert() {
        return cookie != null;
    }
}
