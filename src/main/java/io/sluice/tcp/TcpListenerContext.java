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
    private volatile long requestHeadNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    /** {@code proxy_protocol_from} when {@code proxy_protocol: true} (empty: every peer); null when off. */
    private volatile java.util.List<io.sluice.config.Cidr> proxyProtocolFrom;

    public TcpListenerContext(String name, Upstream upstream, Duration idleTimeout) {
        this.name = name;
        this.upstream = upstream;
        this.idleNanos = idleTimeout.toNanos();
    }

    /** No byte either way for this long closes a relayed connection (nginx's stream proxy_timeout). */
    public long idleNanos() {
        return idleNanos;
    }

    /** {@code server.client_timeouts.request_head}: the time a PROXY protocol header has to arrive. */
    public long requestHeadNanos() {
        return requestHeadNanos;
    }

    public java.util.List<io.sluice.config.Cidr> proxyProtocolFrom() {
        return proxyProtocolFrom;
    }

    /** The PROXY protocol settings and the time the header has; applied to connections accepted from now on. */
    public void proxyProtocol(boolean on, java.util.List<io.sluice.config.Cidr> from, Duration requestHead) {
        this.proxyProtocolFrom = on ? from : null;
        this.requestHeadNanos = requestHead.toNanos();
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
