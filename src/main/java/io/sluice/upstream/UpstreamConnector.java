package io.sluice.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.sluice.balance.Endpoint;
import io.sluice.pool.ConnectionPools;
import javax.net.ssl.SSLException;

/**
 * Opens upstream connections on the caller's event loop, with the pipeline every upstream connection
 * has: (TLS), HTTP client codec, {@link UpstreamHandler} (which keeps the idle and response timers). One per process; it also owns the
 * per-event-loop pools, so pooled connections survive a reload.
 */
public final class UpstreamConnector {
    private static final HttpDecoderConfig RESPONSE_DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(8 * 1024)
            .setMaxHeaderSize(64 * 1024)
            .setMaxChunkSize(1024 * 1024);

    private final Class<? extends SocketChannel> channelClass;
    private final ConnectionPools pools = new ConnectionPools();
    private volatile SslContext clientTls;

    public UpstreamConnector(Class<? extends SocketChannel> channelClass) {
        this.channelClass = channelClass;
    }

    public ConnectionPools pools() {
        return pools;
    }

    /** Connects to {@code endpoint} on {@code loop} (the downstream connection's loop). */
    public ChannelFuture connect(EventLoop loop, Endpoint endpoint, Upstream upstream) {
        long idleNanos = upstream.config().timeouts().idle().toNanos();
        SslContext tls = endpoint.tls() ? clientTls() : null;
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        upstream.config().timeouts().connect().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(),
                                    endpoint.socketAddress().getHostString(), endpoint.socketAddress().getPort()));
                        }
                        ch.pipeline()
                                .addLast("http", new HttpClientCodec(RESPONSE_DECODER, false, false))
                                .addLast("proxy", new UpstreamHandler(idleNanos));
                    }
                });
        return bootstrap.connect(endpoint.socketAddress());
    }

    private SslContext clientTls() {
        SslContext ctx = clientTls;
        if (ctx == null) {
            synchronized (this) {
                if (clientTls == null) {
                    try {
                        clientTls = SslContextBuilder.forClient().build();
                    } catch (SSLException e) {
                        throw new IllegalStateException("cannot set up TLS for upstreams", e);
                    }
                }
                ctx = clientTls;
            }
        }
        return ctx;
    }
}
