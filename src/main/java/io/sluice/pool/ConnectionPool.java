package io.sluice.pool;

import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Idle keep-alive connections to one endpoint, owned by one event loop: only that loop touches it, so
 * it needs no lock. Last in, first out, so the warmest connection is reused and the coldest time out.
 */
public final class ConnectionPool {
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    /** Shared with the other loops' pools of the same endpoint: their total size, read by metrics. */
    private final AtomicInteger idleTotal;

    public ConnectionPool() {
        this(new AtomicInteger());
    }

    public ConnectionPool(AtomicInteger idleTotal) {
        this.idleTotal = idleTotal;
    }

    /** An idle, still open connection, or null. */
    public Channel poll() {
        Channel channel;
        while ((channel = idle.pollLast()) != null) {
            idleTotal.decrementAndGet();
            if (channel.isActive()) {
                return channel;
            }
        }
        return null;
    }

    public void offer(Channel channel) {
        idle.addLast(channel);
        idleTotal.incrementAndGet();
    }

    /** Forgets a connection that closed while idle. */
    public void remove(Channel channel) {
        if (idle.removeFirstOccurrence(channel)) {
            idleTotal.decrementAndGet();
        }
    }

    public int size() {
        return idle.size();
    }

    /** Closes every idle connection (the endpoint left the configuration). */
    public void closeAll() {
        Channel channel;
        while ((channel = idle.pollFirst()) != null) {
            idleTotal.decrementAndGet();
            channel.close();
        }
    }
}
