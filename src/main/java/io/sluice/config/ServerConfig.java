package io.sluice.config;

import java.time.Duration;

/** The {@code server:} block. {@code workers == 0} means one event loop per core. */
public record ServerConfig(int workers, Duration shutdownTimeout, int maxRequestHead, ResolverConfig resolver) {
    public static final ServerConfig DEFAULTS =
            new ServerConfig(0, Duration.ofSeconds(30), 64 * 1024, ResolverConfig.DEFAULTS);
}
