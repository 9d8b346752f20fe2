package io.sluice.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.sluice.balance.Endpoint;
import io.sluice.balance.PickContext;
import io.sluice.upstream.EndpointResolver;
import io.sluice.upstream.Upstream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A tcp listener's client connection: picks an endpoint, connects to it on the same event loop (trying
 * the next endpoint when a connect, or the lookup of an endpoint's name, fails; a failed connect is a passive
 * failure of the endpoint), then relays bytes both ways with {@link RelayHandler}. The balancer sees the
 * client's address ({@code consistent_hash} on {@code source_ip}; a PROXY header's when the listener takes
 * one) and each relayed connection as a request in flight until it closes ({@code least_connections}). The client is not read until the upstream connection is up. A
 * connection with nothing relayed either way for the listener's {@code idle_timeout} is closed, both sides.
 */
public final class TcpFrontendHandler extends ChannelInboundHandlerAdapter {
    private final TcpListenerContext listener;
    private final Class<? extends SocketChannel> channelClass;
    private final EndpointResolver resolver;
    private final List<Endpoint> tried = new ArrayList<>(2);
    private String clientIp;
    /** Bytes that came with a PROXY protocol header, before the upstream connection is up; usually none. */
    private List<Object> early;

    public TcpFrontendHandler(TcpListenerContext listener, Class<? extends SocketChannel> channelClass,
                              EndpointResolver resolver) {
        this.listener = listener;
        this.channelClass = channelClass;
        this.resolver = resolver;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        clientIp = io.sluice.exchange.ClientAddress.ip(ctx.channel()); // a PROXY header's source, if any
        connect(ctx, listener.upstream());
    }

    private void connect(ChannelHandlerContext ctx, Upstream upstream) {
        Endpoint endpoint = upstream.balancer().pick(pickContext());
        if (endpoint == null || tried.contains(endpoint)) {
            ctx.close(); // no endpoint left to try
            return;
        }
        tried.add(endpoint);
        endpoint.requestStarted();
        Channel client = ctx.channel();
        long connectMillis = upstream.config().timeouts().connect().toMillis();
        Bootstrap bootstrap = new Bootstrap()
                .group(client.eventLoop())
                .channel(channelClass)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        io.sluice.upstream.ProxyHeaderSender.addTo(ch.pipeline(), upstream.config().sendProxyProtocol(),
                                io.sluice.exchange.ClientAddress.of(client), io.sluice.exchange.ClientAddress.destination(client));
                        ch.pipeline().addLast("relay", new RelayHandler(client, endpoint::requestFinished));
                    }
                });
        ChannelFuture connect = resolver.connect(bootstrap, client.eventLoop(), endpoint, upstream.name(),
                connectMillis);
        connect.addListener((ChannelFutureListener) future -> {
            if (!future.isSuccess()) {
                endpoint.requestFinished();
                upstream.connectFailed(endpoint, client.eventLoop()); // passive checks count it
                if (client.isActive()) {
                    connect(ctx, upstream);
                }
                return;
            }
            if (!client.isActive()) {
                future.channel().close();
                return;
            }
            // Every byte relayed either way is read or written on the client channel: one idle handler there
            // times both directions.
            upstream.connected(endpoint);
            Channel up = future.channel();
            if (early != null) {
                early.forEach(m -> up.write(m, up.voidPromise()));
                early = null;
                up.flush();
            }
            ctx.pipeline().addFirst("idle", new IdleStateHandler(0, 0, listener.idleNanos(), TimeUnit.NANOSECONDS))
                    .replace(this, "relay", new RelayHandler(up, null));
            client.read();
        });
    }

    private PickContext pickContext() {
        return new PickContext() {
            @Override public String sourceIp() { return clientIp; }
            @Override public String uri() { return "/"; }
            @Override public String path() { return "/"; }
            @Override public String header(String name) { return null; }
            @Override public String cookie(String name) { return null; }
            @Override public String queryParam(String name) { return null; }
            @Override public boolean tried(Endpoint endpoint) { return tried.contains(endpoint); }
        };
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // The client is not read before the relay is in place; only bytes that came in one read with a PROXY
        // protocol header arrive here, and they go upstream first.
        if (early == null) {
            early = new ArrayList<>(1);
        }
        early.add(msg);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
