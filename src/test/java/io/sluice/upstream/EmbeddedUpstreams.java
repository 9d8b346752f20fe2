package io.sluice.upstream;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.sluice.balance.Endpoint;
import io.sluice.pool.ConnectionPool;

/**
 * Upstream connections without sockets, for the fuzz harness: an {@link EmbeddedChannel} with the pipeline
 * {@link UpstreamConnector} gives a real connection ({@link UpstreamCodec}, {@link UpstreamHandler}), parked in
 * the calling thread's pool for an endpoint, so that {@link ProxyCall} takes it as a kept-alive connection.
 * What the proxy writes to it is the bytes an upstream would receive.
 */
public final class EmbeddedUpstreams {
    private EmbeddedUpstreams() {
    }

    /** A new connection to {@code endpoint} of {@code upstream}, idle in this thread's pool. */
    public static EmbeddedChannel park(Upstream upstream, Endpoint endpoint, ByteBufAllocator alloc) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.freezeTime(); // timers (idle, response, read) never fire on their own: each run is deterministic
        UpstreamHandler handler = new UpstreamHandler(upstream.config().timeouts().idle().toNanos());
        ch.pipeline() // as UpstreamConnector.connect builds an HTTP/1.1 upstream connection
                .addLast("http", new UpstreamCodec(new HttpDecoderConfig()
                        .setMaxInitialLineLength(8 * 1024).setMaxHeaderSize(64 * 1024).setMaxChunkSize(1024 * 1024)))
                .addLast("proxy", handler);
        ConnectionPool pool = upstream.connector().pools().of(endpoint);
        handler.park(pool);
        pool.offer(ch);
        return ch;
    }

    /** Idle connections to {@code endpoint} in this thread's pool. */
    public static int idle(Upstream upstream, Endpoint endpoint) {
        return upstream.connector().pools().of(endpoint).size();
    }

    /** Closes and forgets this thread's idle connections to {@code endpoint}. */
    public static void clear(Upstream upstream, Endpoint endpoint) {
        upstream.connector().pools().retire(endpoint);
    }
}
