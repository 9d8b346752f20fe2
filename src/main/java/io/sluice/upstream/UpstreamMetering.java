package io.sluice.upstream;

import io.netty.channel.ChannelFuture;
import io.sluice.metrics.ProxyMetrics;

/** Counts upstream connections: connects, failures, and open ones until they close. Per connection, not per request. */
final class UpstreamMetering {
    private UpstreamMetering() {
    }

    /** On the connection's event loop, when its connect attempt ended. */
    static void connectDone(ProxyMetrics.RequestMetrics metrics, ChannelFuture connect, long nanos) {
        if (connect.isSuccess()) {
            metrics.connected(nanos);
            connect.channel().closeFuture().addListener(f -> metrics.connectionClosed());
        } else {
            metrics.connectFailed();
        }
    }
}
