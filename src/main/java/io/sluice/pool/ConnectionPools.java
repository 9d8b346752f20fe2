package io.sluice.pool;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;
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
    private static final AttributeKey<Map<Endpoint, ConnectionPool>> BY_CLIENT =
            AttributeKey.valueOf("sluice.pool.by-client");

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

    /**
     * With {@code send_proxy_protocol} a connection's PROXY header names one client, so its idle connections
     * are kept per client connection instead: the pool of {@code client}'s connection (an h2 stream's parent)
     * for {@code endpoint}, whose connections close when the client's does. Null once the client's connection
     * is closed (the caller closes what it would have offered). On the client's event loop.
     */
    public ConnectionPool ofClient(Channel client, Endpoint endpoint) {
        Channel connection = client instanceof Http2StreamChannel && client.parent() != null ? client.parent() : client;
        if (!connection.isActive()) {
            return null;
        }
        Map<Endpoint, ConnectionPool> mine = connection.attr(BY_CLIENT).get();
        if (mine == null) {
            Map<Endpoint, ConnectionPool> created = new HashMap<>(2);
            connection.attr(BY_CLIENT).set(created);
            connection.closeFuture().addListener(f -> created.values().forEach(ConnectionPool::closeAll));
            mine = created;
        }
        return mine.computeIfAbsent(endpoint, e -> new ConnectionPool(idle.computeIfAbsent(e, x -> new AtomicInteger())));
    }

    /** Idle connections to {@code endpoint} in all loops' pools; any thread (for metrics). */
    public int idle(Endpoint endpoint) {
        AtomicInteger n = idle.get(endpoint);
        return n == null ? 0 : n.get();
    }

    /**
     * Drops the calling loop's pool for an endpoint that left the configuration (or a forward proxy's destination
     * it forgot), closing its idle connections, and the endpoint's idle count (every loop retires it in turn; a
     * count kept for each destination a forward proxy ever saw grew without bound).
     */
    public void retire(Endpoint endpoint) {
        ConnectionPool pool = pools.get().remove(endpoint);
        if (pool != null) {
            pool.closeAll();
        }
        idle.remove(endpoint);
    }
}
