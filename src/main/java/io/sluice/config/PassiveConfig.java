package io.sluice.config;

import java.time.Duration;

/** Passive checks ({@code passive:}): {@code maxFailures} failures take an endpoint out for {@code failTimeout}. */
public record PassiveConfig(int maxFailures, Duration failTimeout) {
    public static final PassiveConfig DEFAULTS = new PassiveConfig(3, Duration.ofSeconds(10));
}
