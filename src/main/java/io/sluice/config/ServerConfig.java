package io.sluice.config;

import java.time.Duration;

/**
 * The {@code server:} block. {@code workers == 0} means one event loop per core. {@code reusePort}: each
 * worker has its own listening socket (SO_REUSEPORT) on the native transport, see Sluice#bind.
 * {@code bufferBudget == 0} means the default (half of the JVM's direct-memory limit). {@code transport}:
 * {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}, see io.sluice.runtime.Transport.
 */
public record ServerConfig(int workers, Duration shutdownTimeout, int maxRequestHead,
                           ClientTimeoutsConfig clientTimeouts, ResolverConfig resolver, boolean reusePort,
                           long bufferBudget, String transport) {
    public static final ServerConfig DEFAULTS = new ServerConfig(0, Duration.ofSeconds(30), 64 * 1024,
            ClientTimeoutsConfig.DEFAULTS, ResolverConfig.DEFAULTS, true, 0, "auto");

    public ServerConfig(int workers, Duration shutdownTimeout, int maxRequestHead) {
        this(workers, shutdownTimeout, maxRequestHead, ClientTimeoutsConfig.DEFAULTS, ResolverConfig.DEFAULTS,
                DEFAULTS.reusePort(), DEFAULTS.bufferBudget(), DEFAULTS.transport());
    }

    public ServerConfig(int workers, Duration shutdownTimeout, int maxRequestHead,
                        ClientTimeoutsConfig clientTimeouts, ResolverConfig resolver) {
        this(workers, shutdownTimeout, maxRequestHead, clientTimeouts, resolver, DEFAULTS.reusePort(),
                DEFAULTS.bufferBudget(), DEFAULTS.transport());
    }
}
