package io.sluice.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.sluice.exchange.PerMessageFields;
import io.sluice.config.UpstreamConfig;
import java.util.HashMap;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.timeout.IdleStateHandler;
import io.sluice.balance.Endpoint;
import io.sluice.config.UpstreamTlsConfig;
import io.sluice.pool.ConnectionPools;
import io.sluice.tls.TlsLibrary;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Opens upstream connections on the caller's event loop, with the pipeline every upstream connection
 * has: (TLS), HTTP client codec ({@link UpstreamCodec}), {@link UpstreamHandler} (which keeps the idle and response timers).
 * Endpoint names are looked up by the process's {@link EndpointResolver} as each connection opens.
 * One per process; it also owns the
 * per-event-loop pools, so pooled connections survive a reload.
 */
public final class UpstreamConnector {
    private static final HttpDecoderConfig RESPONSE_DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(8 * 1024)
            .setMaxHeaderSize(64 * 1024)
            .setMaxChunkSize(1024 * 1024);

    private final Class<? extends SocketChannel> channelClass;
    private final EndpointResolver resolver;
    private final BufferBudget bufferBudget;
    private final ConnectionPools pools = new ConnectionPools();
    /** Client TLS contexts by upstream tls settings: built once, shared by every loop (SslContext is thread-safe). */
    private final Map<UpstreamTlsConfig, SslContext> clientTls = new ConcurrentHashMap<>();
    private final Map<UpstreamTlsConfig, SslContext> h2ClientTls = new ConcurrentHashMap<>();
    /** Each event loop's h2 connections, one per endpoint; only that loop's thread touches its map. */
    private final FastThreadLocal<Map<Endpoint, ChannelFuture>> h2Connections = new FastThreadLocal<>() {
        @Override
        protected Map<Endpoint, ChannelFuture> initialValue() {
            return new HashMap<>();
        }
    };

    public UpstreamConnector(Class<? extends SocketChannel> channelClass, EndpointResolver resolver,
                             BufferBudget bufferBudget) {
        this.channelClass = channelClass;
        this.resolver = resolver;
        this.bufferBudget = bufferBudget;
    }

    /** The process's budget for buffering responses; it sizes every upstream read. */
    public BufferBudget bufferBudget() {
        return bufferBudget;
    }

    public EndpointResolver resolver() {
        return resolver;
    }

    public ConnectionPools pools() {
        return pools;
    }

    /** Connects to {@code endpoint} on {@code loop} (the downstream connection's loop). */
    public ChannelFuture connect(EventLoop loop, Endpoint endpoint, Upstream upstream) {
        return connect(loop, endpoint, upstream, null);
    }

    /**
     * As {@link #connect(EventLoop, Endpoint, Upstream)}; with {@code send_proxy_protocol} the connection starts
     * with a PROXY header naming the client of {@code client} (the downstream channel).
     */
    public ChannelFuture connect(EventLoop loop, Endpoint endpoint, Upstream upstream, Channel client) {
        long idleNanos = upstream.config().timeouts().idle().toNanos();
        UpstreamTlsConfig tlsConfig = upstream.config().tls();
        SslContext tls = endpoint.tls() ? clientTls.computeIfAbsent(tlsConfig, UpstreamConnector::clientContext) : null;
        String serverName = tlsConfig.serverName() != null ? tlsConfig.serverName() : endpoint.host();
        long connectMillis = upstream.config().timeouts().connect().toMillis();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, bufferBudget.readSizes())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (client != null) {
                            ProxyHeaderSender.addTo(ch.pipeline(), upstream.config().sendProxyProtocol(),
                                    io.sluice.exchange.ClientAddress.of(client),
                                    io.sluice.exchange.ClientAddress.destination(client));
                        }
                        if (tls != null) {
                            // peer host: SNI (for names, not IP addresses) and the name the certificate must carry
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), serverName,
                                    endpoint.socketAddress().getPort()));
                        }
                        ch.pipeline()
                                .addLast("http", new UpstreamCodec(RESPONSE_DECODER))
                                .addLast("proxy", new UpstreamHandler(idleNanos));
                    }
                });
        if (upstream.guard() != null) {
            return upstream.guard().connect(bootstrap, loop, endpoint, connectMillis); // the forward proxy's checks
        }
        return resolver.connect(bootstrap, loop, endpoint, upstream.name(), connectMillis);
    }

    /**
     * A channel for one request to {@code endpoint}, on {@code loop} (the caller's): a new HTTP/1.1
     * connection, or for {@code protocol: h2/h2c} a new stream on the one connection this loop keeps to the
     * endpoint. Either way its pipeline ends in "http" (HttpObjects) and "proxy" (UpstreamHandler).
     */
    public Future<Channel> open(EventLoop loop, Endpoint endpoint, Upstream upstream) {
        return open(loop, endpoint, upstream, null);
    }

    /** As {@link #open(EventLoop, Endpoint, Upstream)} for a request of the client of {@code client}. */
    public Future<Channel> open(EventLoop loop, Endpoint endpoint, Upstream upstream, Channel client) {
        Promise<Channel> promise = loop.newPromise();
        if (upstream.config().protocol() == UpstreamConfig.Wire.HTTP1) {
            ChannelFuture f = connect(loop, endpoint, upstream, client);
            f.addListener(x -> {
                if (f.isSuccess()) {
                    promise.setSuccess(f.channel());
                } else {
                    promise.setFailure(f.cause());
                }
            });
            return promise;
        }
        Map<Endpoint, ChannelFuture> mine = h2Connections.get(); // this loop's: no lock
        ChannelFuture parent = mine.get(endpoint);
        if (parent == null || (parent.isDone() && !parent.channel().isActive())) {
            ChannelFuture fresh = connectH2(loop, endpoint, upstream);
            mine.put(endpoint, fresh);
            fresh.channel().closeFuture().addListener(x -> mine.remove(endpoint, fresh));
            parent = fresh;
        }
        ChannelFuture connection = parent;
        long idleNanos = upstream.config().timeouts().idle().toNanos();
        connection.addListener(x -> {
            if (!connection.isSuccess()) {
                promise.tryFailure(connection.cause());
                return;
            }
            new Http2StreamChannelBootstrap(connection.channel())
                    .handler(new ChannelInitializer<Http2StreamChannel>() {
                        @Override
                        protected void initChannel(Http2StreamChannel ch) {
                            ch.config().setAutoRead(false);
                            ch.pipeline()
                                    .addLast("http", new Http2StreamFrameToHttpObjectCodec(false))
                                    .addLast("proxy", new UpstreamHandler(idleNanos));
                        }
                    })
                    .open()
                    .addListener(s -> {
                        if (s.isSuccess()) {
                            promise.trySuccess((Channel) s.getNow());
                        } else {
                            promise.tryFailure(s.cause());
                        }
                    });
        });
        return promise;
    }

    /** The shared HTTP/2 connection to an endpoint: TLS with ALPN h2 for https endpoints, h2c by prior knowledge else. */
    private ChannelFuture connectH2(EventLoop loop, Endpoint endpoint, Upstream upstream) {
        UpstreamTlsConfig tlsConfig = upstream.config().tls();
        SslContext tls = endpoint.tls() ? h2ClientTls.computeIfAbsent(tlsConfig, c -> clientContext(c, true)) : null;
        String serverName = tlsConfig.serverName() != null ? tlsConfig.serverName() : endpoint.host();
        long connectMillis = upstream.config().timeouts().connect().toMillis();
        long idleMillis = upstream.config().timeouts().idle().toMillis();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), serverName,
                                    endpoint.socketAddress().getPort()));
                        }
                        ch.pipeline()
                                .addLast("h2", Http2FrameCodecBuilder.forClient()
                                        .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
                                        .headerSensitivityDetector(PerMessageFields.INSTANCE)
                                        .build())
                                .addLast("h2idle", new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS))
                                .addLast("h2mux", new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()))
                                .addLast("h2conn", new H2ConnectionEvents());
                    }
                });
        return resolver.connect(bootstrap, loop, endpoint, upstream.name(), connectMillis);
    }

    /** The shared h2 connection's own events: idle with no stream open closes it; frames for it are dropped. */
    private static final class H2ConnectionEvents extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
                if (codec == null || codec.connection().numActiveStreams() == 0) {
                    ctx.close();
                }
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) == null) {
                ctx.close();
            }
        }
    }

    static SslContext clientContext(UpstreamTlsConfig cfg) {
        return clientContext(cfg, false);
    }

    /** A client context for {@code cfg}: its CA or the system's, the name check unless verify is off. */
    static SslContext clientContext(UpstreamTlsConfig cfg, boolean h2) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(TlsLibrary.openSslAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2");
            if (h2) {
                b.ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                                ApplicationProtocolNames.HTTP_2));
            }
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
