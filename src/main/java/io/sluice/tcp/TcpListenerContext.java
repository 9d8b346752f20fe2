package io.sluice.tcp;

import io.sluice.upstream.Upstream;
import java.time.Duration;

/**
 * What every connection of one tcp listener shares: the upstream in force and the idle timeout (both
 * swapped by a reload; a connection keeps the timeout it started with).
 */
public final class TcpListenerContext {
    private final String name;
    private volatile Upstream upstream;
    private volatile long idleNanos;

    public TcpListenerContext(String name, Upstream upstream, Duration idleTimeout) {
        this.name = name;
        this.upstream = upstream;
        this.idleNanos = idleTimeout.toNanos();
    }

    /** No byte either way for this long closes a relayed connection (nginx's stream proxy_timeout). */
    public long idleNanos() {
        return idleNanos;
    }

    public String name() {
        return name;
    }

    public Upstream upstream() {
        return upstream;
    }

    public void update(Upstream upstream, Duration idleTimeout) {
        this.upstream = upstream;
        this.idleNanos = idleTimeout.toNanos();
    }
}
