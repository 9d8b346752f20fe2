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
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.timeout.IdleStateHandler;
import io.sluice.balance.Endpoint;
import io.sluice.config.UpstreamTlsConfig;
import io.sluice.pool.ConnectionPools;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Opens upstream connections on the caller's event loop, with the pipeline every upstream connection
 * has: (TLS), HTTP client codec, idle timer, {@link UpstreamHandler}. One per process; it also owns the
 * per-event-loop pools, so pooled connections survive a reload.
 */
public final class UpstreamConnector {
    private static final HttpDecoderConfig RESPONSE_DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(8 * 1024)
            .setMaxHeaderSize(64 * 1024)
            .setMaxChunkSize(1024 * 1024);

    private final Class<? extends SocketChannel> channelClass;
    private final ConnectionPools pools = new ConnectionPools();
    /** Client TLS contexts by upstream tls settings: built once, shared by every loop (SslContext is thread-safe). */
    private final Map<UpstreamTlsConfig, SslContext> clientTls = new ConcurrentHashMap<>();

    public UpstreamConnector(Class<? extends SocketChannel> channelClass) {
        this.channelClass = channelClass;
    }

    public ConnectionPools pools() {
        return pools;
    }

    /** Connects to {@code endpoint} on {@code loop} (the downstream connection's loop). */
    public ChannelFuture connect(EventLoop loop, Endpoint endpoint, Upstream upstream) {
        long idleMillis = upstream.config().timeouts().idle().toMillis();
        UpstreamTlsConfig tlsConfig = upstream.config().tls();
        SslContext tls = endpoint.tls() ? clientTls.computeIfAbsent(tlsConfig, UpstreamConnector::clientContext) : null;
        String serverName = tlsConfig.serverName() != null ? tlsConfig.serverName()
                : endpoint.socketAddress().getHostString();
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
                            // peer host: SNI (for names, not IP addresses) and the name the certificate must carry
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), serverName,
                                    endpoint.socketAddress().getPort()));
                        }
                        ch.pipeline()
                                .addLast("http", new HttpClientCodec(RESPONSE_DECODER, false, false))
                                .addLast("idle", new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS))
                                .addLast("proxy", new UpstreamHandler());
                    }
                });
        return bootstrap.connect(endpoint.socketAddress());
    }

    /** A client context for {@code cfg}: its CA or the system's, the name check unless verify is off. */
    static SslContext clientContext(UpstreamTlsConfig cfg) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2");
            if (!cfg.verify()) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                b.endpointIdentificationAlgorithm("HTTPS");
                if (cfg.ca() != null) {
                    b.trustManager(cfg.ca().toFile());
                }
            }
            if (cfg.clientCert() != null) {
                b.keyManager(cfg.clientCert().toFile(), cfg.clientKey().toFile());
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot set up TLS for upstreams (" + cfg + "): " + e.getMessage(), e);
        }
    }
}
