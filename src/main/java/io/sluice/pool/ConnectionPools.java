package io.sluice.pool;

import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.balance.Endpoint;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Finds the pool of the calling event loop for an endpoint. Each event loop has its own map, so pools
 * are never shared between threads and a pick-then-acquire takes no lock.
 */
public final class ConnectionPools {
    private final FastThreadLocal<Map<Endpoint, ConnectionPool>> pools = new FastThreadLocal<>() {
        @Override
        protected Map<Endpoint, ConnectionPool> initialValue() {
            return new HashMap<>();
        }
    };

    /** Idle connections per endpoint over all loops, for metrics: each loop's pool adds and takes its own. */
    private final Map<Endpoint, AtomicInteger> idle = new ConcurrentHashMap<>();

    /** The calling event loop's pool for {@code endpoint}; must be called on an event loop. */
    public ConnectionPool of(Endpoint endpoint) {
        return pools.get().computeIfAbsent(endpoint,
                e -> new ConnectionPool(idle.computeIfAbsent(e, x -> new AtomicInteger())));
    }

    /** Idle connections to {@code endpoint} in all loops' pools; any thread (for metrics). */
    public int idle(Endpoint endpoint) {
        AtomicInteger n = idle.get(endpoint);
        return n == null ? 0 : n.get();
    }

    /** Drops the calling loop's pool for an endpoint that left the configuration, closing its idle connections. */
    public void retire(Endpoint endpoint) {
        ConnectionPool pool = pools.get().remove(endpoint);
        if (pool != null) {
            pool.closeAll();
        }
    }
}
