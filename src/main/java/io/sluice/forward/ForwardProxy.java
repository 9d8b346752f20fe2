package io.sluice.forward;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.config.EndpointConfig;
import io.sluice.config.ForwardProxyConfig;
import io.sluice.config.HeaderOps;
import io.sluice.config.MatchConfig;
import io.sluice.config.RouteConfig;
import io.sluice.config.TimeoutsConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.config.UpstreamTlsConfig;
import io.sluice.exchange.Downstream;
import io.sluice.exchange.Exchange;
import io.sluice.filter.FilterChain;
import io.sluice.filter.auth.BasicAuthGate;
import io.sluice.filter.auth.PasswordCheck;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.observe.RequestObserver;
import io.sluice.route.Route;
import io.sluice.upstream.DestinationGuard;
import io.sluice.upstream.DestinationRefusedException;
import io.sluice.upstream.EndpointResolver;
import io.sluice.upstream.Upstream;
import io.sluice.upstream.UpstreamConnector;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One http listener's {@code forward_proxy}: the listener has no routes; clients name their destination.
 * <ul>
 *   <li>{@code CONNECT host:port} ({@link #tunnel}): the destination is checked, connected, answered 200,
 *       and the client connection becomes a byte tunnel to it ({@code RelayHandler}: backpressure both ways;
 *       closed after the listener's {@code idle_timeout} with nothing either way).</li>
 *   <li>An absolute-form request ({@link #route}): forwarded through the normal upstream path
 *       ({@code ProxyCall}: streaming, timeouts, keep-alive pools) to an upstream of one endpoint, the
 *       destination, kept per destination so its connections are pooled; {@code Proxy-Authorization} and
 *       {@code Proxy-Connection} are not passed on.</li>
 *   <li>An origin-form request gets 400, a destination the rules refuse 403 ({@link AccessRules}).</li>
 * </ul>
 * Names are checked, then looked up with the process's DNS client and every address checked; the connection
 * goes to an address that was checked, never through a second lookup, so a name that changes its answer
 * (DNS rebinding) cannot reach what the rules refuse. A pooled connection was checked when it opened.
 *
 * <p>Lives as long as its listener; a reload gives it new rules ({@link #update}). Everything per request
 * runs on the client connection's event loop.
 */
public final class ForwardProxy implements DestinationGuard {
    private static final Logger log = LoggerFactory.getLogger(ForwardProxy.class);
    /** Destinations whose upstream (and pooled connections) are kept; the least recent go beyond this. */
    static final int MAX_DESTINATIONS = 1024;
    /** Forward connections reach the internet: more time to connect than a configured upstream's default. */
    static final TimeoutsConfig TIMEOUTS = new TimeoutsConfig(Duration.ofSeconds(10), Duration.ofSeconds(60),
            Duration.ofSeconds(60), Duration.ofSeconds(60));

    private final String listener;
    private final UpstreamConnector connector;
    private final EndpointResolver resolver;
    private final Class<? extends SocketChannel> channelClass;
    private final EventLoopGroup loops;
    private final RequestObserver observer;
    private final ProxyMetrics metrics;
    private final Map<String, Cached> destinations = new ConcurrentHashMap<>();
    private final LongAdder clock = new LongAdder();
    private volatile AccessRules rules;
    private volatile long idleNanos;
    private volatile FilterChain auth = FilterChain.EMPTY;
    private PasswordCheck check; // kept across reloads while the users file is unchanged (and its cache with it)

    private record Cached(Route route, Upstream upstream, long[] lastUse) {
    }

    public ForwardProxy(String listener, ForwardProxyConfig config, Duration idleTimeout, UpstreamConnector connector,
                        Class<? extends SocketChannel> channelClass, EventLoopGroup loops, RequestObserver observer,
                        ProxyMetrics metrics) {
        this.listener = listener;
        this.connector = connector;
        this.resolver = connector.resolver();
        this.channelClass = channelClass;
        this.loops = loops;
        this.observer = observer;
        this.metrics = metrics;
        update(config, idleTimeout);
    }

    /**
     * A reload: new rules for new requests and tunnels. The pooled connections were checked under the old rules
     * (a name is checked when its connection opens, by the addresses it resolves to), so every destination is
     * dropped and its idle connections close: none is reused for a destination the new rules refuse.
     */
    public synchronized void update(ForwardProxyConfig config, Duration idleTimeout) {
        this.rules = new AccessRules(config);
        if (!destinations.isEmpty()) {
            retire(new ArrayList<>(destinations.keySet()));
        }
        this.idleNanos = idleTimeout.toNanos();
        ForwardProxyConfig.Auth a = config.auth();
        if (a == null) {
            check = null;
            auth = FilterChain.EMPTY;
        } else {
            check = check == null ? new PasswordCheck(a.users()) : check.reusedFor(a.users());
            auth = FilterChain.of(List.of(BasicAuthGate.proxy(check, a.realm())), List.of("forward_proxy.auth"));
        }
    }

    /**
     * What every request passes before {@link #tunnel} or {@link #route}: the {@code auth} check (407 without
     * good {@code Proxy-Authorization}), or nothing when there is none. The access rules apply after it.
     */
    public FilterChain auth() {
        return auth;
    }

    // ---------------------------------------------------------------- absolute-form requests

    /**
     * The route for an absolute-form request whose target was {@code target} (the request's URI has been
     * rewritten to origin-form, its Host set to the authority); null when this answered the request itself.
     */
    public Route route(Downstream downstream, Exchange exchange, HttpRequest request, String target) {
        exchange.route("forward");
        Destination destination = Destination.absolute(target);
        if (destination == null) {
            boolean originForm = target.startsWith("/") || "*".equals(target);
            downstream.replyLocal(exchange, HttpResponseStatus.BAD_REQUEST, originForm
                    ? "this is a forward proxy: send absolute-form requests (GET http://host/path) or CONNECT"
                    : "bad destination in the request target");
            return null;
        }
        String refused = refusedEarly(destination);
        if (refused != null) {
            downstream.replyLocal(exchange, HttpResponseStatus.FORBIDDEN, refused);
            return null;
        }
        request.headers().remove(HttpHeaderNames.PROXY_AUTHORIZATION); // Proxy-Connection goes with hop-by-hop
        return cached(destination, Destination.secure(target)).route;
    }

    private Cached cached(Destination destination, boolean tls) {
        String key = (tls ? "https://" : "http://") + destination.authorityText();
        clock.increment();
        Cached c = destinations.get(key);
        if (c == null) {
            c = destinations.computeIfAbsent(key, k -> build(destination, tls));
            if (destinations.size() > MAX_DESTINATIONS) {
                evict();
            }
        }
        c.lastUse[0] = clock.sum(); // a racy hint for eviction, nothing more
        return c;
    }

    private Cached build(Destination destination, boolean tls) {
        String name = "forward:" + listener;
        // "*" is the endpoint's label in metrics and the access log: one series for every destination, not one
        // each (the access log has the Host)
        EndpointConfig endpoint = new EndpointConfig("*", destination.host(), destination.port(), tls, 1);
        UpstreamConfig config = new UpstreamConfig(name, UpstreamConfig.DEFAULT_BALANCER, null,
                UpstreamConfig.DEFAULT_VIRTUAL_NODES, 0, Duration.ZERO, List.of(endpoint), null, null, null, TIMEOUTS,
                0, UpstreamConfig.Wire.HTTP1, UpstreamTlsConfig.DEFAULTS);
        Upstream upstream = new Upstream(config, connector, metrics, Map.of(), this);
        Route route = new Route(new RouteConfig("forward", MatchConfig.ANY, null, HeaderOps.NONE, HeaderOps.NONE, name,
                null, null), upstream);
        return new Cached(route, upstream, new long[1]);
    }

    /** Drops the least recently used quarter of the destinations; their idle pooled connections close. */
    private synchronized void evict() {
        if (destinations.size() <= MAX_DESTINATIONS) {
            return;
        }
        List<Map.Entry<String, Cached>> all = new ArrayList<>(destinations.entrySet());
        all.sort((a, b) -> Long.compare(a.getValue().lastUse[0], b.getValue().lastUse[0]));
        List<String> oldest = new ArrayList<>();
        for (int i = 0; i < all.size() / 4; i++) {
            oldest.add(all.get(i).getKey());
        }
        retire(oldest);
    }

    /** Forgets these destinations: requests in flight finish, their idle pooled connections close. */
    private void retire(List<String> keys) {
        List<Endpoint> gone = new ArrayList<>();
        for (String key : keys) {
            Cached c = destinations.remove(key);
            if (c != null) {
                Endpoint e = c.upstream.endpoints().get(0);
                e.state(EndpointState.DRAINING); // nothing new is pooled for it
                gone.add(e);
            }
        }
        loops.forEach(loop -> loop.execute(() -> gone.forEach(connector.pools()::retire)));
    }

    // ---------------------------------------------------------------- CONNECT

    /** {@code CONNECT host:port}: a tunnel to an allowed destination, or 400/403/502. */
    public void tunnel(Downstream downstream, Exchange exchange, HttpRequest request) {
        exchange.route("connect");
        if (downstream.clientChannel() instanceof io.netty.handler.codec.http2.Http2StreamChannel) {
            // an h2 CONNECT tunnels through one stream (RFC 9113 §8.5), not a connection of its own: not done
            downstream.replyLocal(exchange, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "CONNECT over HTTP/2 is not supported: use HTTP/1.1");
            return;
        }
        Destination destination = Destination.authority(request.uri());
        if (destination == null) {
            downstream.replyLocal(exchange, HttpResponseStatus.BAD_REQUEST, "CONNECT needs host:port");
            return;
        }
        String refused = refusedEarly(destination);
        if (refused != null) {
            downstream.replyLocal(exchange, HttpResponseStatus.FORBIDDEN, refused);
            return;
        }
        Channel client = downstream.clientChannel();
        TunnelBytes bytes = new TunnelBytes();
        Bootstrap bootstrap = new Bootstrap()
                .group(client.eventLoop())
                .channel(channelClass)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) TIMEOUTS.connect().toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // "http" and "proxy" stand where an upstream HTTP connection has its codec and handler:
                        // Downstream.switchToTunnel swaps them for the relay, as after a 101
                        ch.pipeline().addLast("bytes", bytes)
                                .addLast("http", new ChannelInboundHandlerAdapter())
                                .addLast("proxy", new ChannelInboundHandlerAdapter());
                    }
                });
        ChannelFuture connect = connect(bootstrap, client.eventLoop(), destination, TIMEOUTS.connect().toMillis());
        connect.addListener(f -> {
            if (!client.isActive()) {
                connect.channel().close(); // the client left while we connected
                observer.finished(exchange, 0, 0);
                return;
            }
            if (!f.isSuccess()) {
                Throwable cause = f.cause();
                if (cause instanceof DestinationRefusedException) {
                    downstream.replyLocal(exchange, HttpResponseStatus.FORBIDDEN, cause.getMessage());
                } else {
                    log.debug("CONNECT {}: {}", destination.authorityText(), cause.toString());
                    exchange.upstreamError(io.sluice.upstream.UpstreamFailure.CONNECT_FAILURE.logToken());
                    downstream.replyLocal(exchange, HttpResponseStatus.BAD_GATEWAY, "cannot connect to "
                            + destination.authorityText());
                }
                return;
            }
            Channel up = connect.channel();
            exchange.attempt("connect", destination.authorityText());
            exchange.status(200);
            downstream.clientChannel().write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    new HttpResponseStatus(200, "Connection Established")), downstream.clientChannel().voidPromise());
            downstream.switchToTunnel(exchange, up, () -> observer.finished(exchange, bytes.up, bytes.down));
            // Every byte of the tunnel passes the client channel: one idle timer there times both directions.
            client.pipeline().addFirst("idle", new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
        });
    }

    // ---------------------------------------------------------------- checks and connects

    /** What refuses {@code destination} before any lookup (a denied name, a refused literal address); null if nothing. */
    private String refusedEarly(Destination destination) {
        AccessRules r = rules;
        if (destination.address() != null) {
            return r.addressAllowed(destination.address(), destination.port(), false) ? null
                    : destination.authorityText() + " is not an allowed destination";
        }
        return r.nameAllowed(destination.host(), destination.port()) < 0
                ? destination.authorityText() + " is not an allowed destination" : null;
    }

    @Override
    public ChannelFuture connect(Bootstrap bootstrap, EventLoop loop, Endpoint endpoint, long timeoutMillis) {
        String host = endpoint.host();
        Destination destination = Destination.authority((host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":"
                + endpoint.socketAddress().getPort());
        return connect(bootstrap, loop, destination, timeoutMillis);
    }

    /**
     * Registers the bootstrap's channel, checks the destination (looking a name up, every address checked) and
     * connects to the first address; the future fails with {@link DestinationRefusedException} when the rules
     * refuse, {@link UnknownHostException} when the name does not resolve, or a timeout after
     * {@code timeoutMillis} for the lookup and the connect together.
     */
    ChannelFuture connect(Bootstrap bootstrap, EventLoop loop, Destination destination, long timeoutMillis) {
        ChannelFuture registered = bootstrap.register();
        Channel ch = registered.channel();
        ChannelPromise promise = ch.newPromise();
        ScheduledFuture<?> deadline = loop.schedule(() -> promise.tryFailure(new ConnectTimeoutException(
                "no connection to " + destination.authorityText() + " within " + timeoutMillis + " ms")),
                timeoutMillis, TimeUnit.MILLISECONDS);
        promise.addListener(f -> {
            deadline.cancel(false);
            if (!f.isSuccess()) {
                ch.close();
            }
        });
        AccessRules r = rules;
        registered.addListener(reg -> {
            if (!reg.isSuccess()) {
                promise.tryFailure(reg.cause());
            } else if (destination.address() != null) {
                connectChecked(ch, List.of(destination.address()), destination, r, false, promise);
            } else {
                int byName = r.nameAllowed(destination.host(), destination.port());
                if (byName < 0) {
                    promise.tryFailure(new DestinationRefusedException(destination.authorityText()
                            + " is not an allowed destination"));
                    return;
                }
                Future<List<InetSocketAddress>> lookup = resolver.group().getResolver(loop)
                        .resolveAll(InetSocketAddress.createUnresolved(destination.host(), destination.port()));
                lookup.addListener(l -> {
                    if (!l.isSuccess() || lookup.getNow().isEmpty()) {
                        promise.tryFailure(new UnknownHostException("cannot resolve " + destination.host()));
                        return;
                    }
                    List<InetAddress> addresses = new ArrayList<>();
                    for (InetSocketAddress a : lookup.getNow()) {
                        addresses.add(a.getAddress());
                    }
                    connectChecked(ch, addresses, destination, r, byName > 0, promise);
                });
            }
        });
        return promise;
    }

    private static void connectChecked(Channel ch, List<InetAddress> addresses, Destination destination,
                                       AccessRules rules, boolean nameAllowed, ChannelPromise promise) {
        if (promise.isDone()) {
            return; // timed out while looking up
        }
        for (InetAddress a : addresses) {
            if (!rules.addressAllowed(a, destination.port(), nameAllowed)) {
                promise.tryFailure(new DestinationRefusedException(destination.address() != null
                        ? destination.authorityText() + " is not an allowed destination"
                        : destination.host() + " resolves to " + AccessRules.text(a) + ", which is not an allowed"
                        + " destination"));
                return;
            }
        }
        // the address checked is the address connected: no second lookup
        ch.connect(new InetSocketAddress(addresses.get(0), destination.port())).addListener(c -> {
            if (c.isSuccess()) {
                promise.trySuccess();
            } else {
                promise.tryFailure(c.cause());
            }
        });
    }

    /** Counts a tunnel's bytes on its upstream side: {@code up} written to the destination, {@code down} read. */
    private static final class TunnelBytes extends io.netty.channel.ChannelDuplexHandler {
        long up;
        long down;

        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.buffer.ByteBuf b) {
                down += b.readableBytes();
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(io.netty.channel.ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise p) {
            if (msg instanceof io.netty.buffer.ByteBuf b) {
                up += b.readableBytes();
            }
            ctx.write(msg, p);
        }
    }
}
