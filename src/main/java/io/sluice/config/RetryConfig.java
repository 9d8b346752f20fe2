package io.sluice.config;

import java.util.Set;

/**
 * {@code retry:}: up to {@code attempts} further tries. {@code on} holds the conditions as written:
 * {@code connect_failure}, {@code timeout}, {@code reset}, or a 3-digit status such as {@code "502"}.
 */
public record RetryConfig(int attempts, Set<String> on) {
    public static final Set<String> DEFAULT_ON = Set.of("connect_failure", "timeout", "502", "503", "504");

    public RetryConfig {
        on = Set.copyOf(on);
    }
}
