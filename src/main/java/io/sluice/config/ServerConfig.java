package io.sluice.config;

import java.time.Duration;

/** The {@code server:} block. {@code workers == 0} means one event loop per core. */
public record ServerConfig(int workers, Duration shutdownTimeout, int maxRequestHead,
                           ClientTimeoutsConfig clientTimeouts, ResolverConfig resolver) {
    public static final ServerConfig DEFAULTS = new ServerConfig(0, Duration.ofSeconds(30), 64 * 1024,
            ClientTimeoutsConfig.DEFAULTS, ResolverConfig.DEFAULTS);

    public ServerConfig(int workers, Duration shutdownTimeout, int maxRequestHead) {
        this(workers, shutdownTimeout, maxRequestHead, ClientTimeoutsConfig.DEFAULTS, ResolverConfig.DEFAULTS);
    }
}
