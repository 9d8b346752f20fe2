package io.sluice.admin;

import io.netty.channel.EventLoopGroup;
import io.sluice.config.HostPort;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.upstream.Upstream;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.function.Supplier;

/** The admin listener: /healthz, /metrics, /api/upstreams and the status page at /. */
public final class AdminServer implements AutoCloseable {

    /**
     * @param upstreams the upstreams of the configuration in force, read on every request (a reload
     *                  changes what it returns)
     */
    public AdminServer(HostPort address, EventLoopGroup group, ProxyMetrics metrics,
                       Supplier<Collection<Upstream>> upstreams) {
    }

    /** Binds, waiting until the socket is listening. */
    public void start() throws InterruptedException {
    }

    /** The bound address (the real port when the configured port was 0). */
    public InetSocketAddress localAddress() {
        return null;
    }

    @Override
    public void close() {
    }
}
