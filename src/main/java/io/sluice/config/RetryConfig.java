package io.sluice.config;

import java.util.Set;

/**
 * {@code retry:}: up to {@code attempts} further tries. {@code on} holds the conditions as written:
 * {@code connect_failure}, {@code timeout}, {@code reset}, or a 3-digit status such as {@code "502"}.
 * A request body up to {@code maxBody} bytes is kept for a replay. The retry budget: retries stay under
 * {@code budget} (a share, 0.2 = 20%) of the upstream's requests over the last
 * {@link #BUDGET_WINDOW_SECONDS} seconds, plus {@code minRetriesPerSecond} per second of that window.
 */
public record RetryConfig(int attempts, Set<String> on, long maxBody, double budget, int minRetriesPerSecond) {
    public static final Set<String> DEFAULT_ON = Set.of("connect_failure", "timeout", "502", "503", "504");
    public static final long DEFAULT_MAX_BODY = 64 * 1024;
    public static final double DEFAULT_BUDGET = 0.2;
    public static final int DEFAULT_MIN_RETRIES_PER_SECOND = 10;
    public static final int BUDGET_WINDOW_SECONDS = 10;

    public RetryConfig {
        on = Set.copyOf(on);
    }

    public RetryConfig(int attempts, Set<String> on) {
        this(attempts, on, DEFAULT_MAX_BODY, DEFAULT_BUDGET, DEFAULT_MIN_RETRIES_PER_SECOND);
    }
}
