package io.sluice.upstream;

import io.netty.channel.Channel;

import io.netty.channel.ChannelFuture;
import io.sluice.metrics.ProxyMetrics;

/** Counts upstream connections: connects, failures, and open ones until they close. Per connection, not per request. */
final class UpstreamMetering {
    private UpstreamMetering() {
    }

    /** On the connection's event loop, when its connect attempt ended. */
    /** A connection (or, for h2 upstreams, a stream on a shared connection: not counted as one) opened or failed. */
    static void connectDone(ProxyMetrics.RequestMetrics metrics, io.netty.util.concurrent.Future<Channel> open,
                            long nanos) {
        if (!open.isSuccess()) {
            metrics.connectFailed();
        } else if (open.getNow().parent() == null) {
            metrics.connected(nanos);
            open.getNow().closeFuture().addListener(f -> metrics.connectionClosed());
        }
    }
}
