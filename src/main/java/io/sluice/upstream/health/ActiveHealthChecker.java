package io.sluice.upstream.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.config.Durations;
import io.sluice.config.HealthCheckConfig;
import io.sluice.upstream.EndpointResolver;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks one endpoint every {@code interval} (±10% jitter, so checks of many endpoints spread out) on its
 * own connection, never a pooled one: TCP (the connect succeeds) or HTTP ({@code GET path}, a status in
 * {@code expect_status} passes, Connection: close). {@link HealthCounter} turns results into a verdict;
 * a flip sets or clears {@link Endpoint#FAILING} and is logged at INFO. An endpoint given by name is
 * looked up for each check (through the cache, see {@link EndpointResolver}); a name that does not resolve
 * fails the check.
 *
 * <p>One per endpoint for the process: it lives across reloads while the endpoint does (the new
 * configuration is picked up by {@link #update}) and stops with {@link #stop}. Everything runs on one
 * event loop of the proxy, so the fields need no lock ({@code config} is volatile for {@link #update}).
 */
final class ActiveHealthChecker {
    private static final Logger log = LoggerFactory.getLogger(ActiveHealthChecker.class);
    private static volatile SslContext tls;

    private final Endpoint endpoint;
    private final EventLoop loop;
    private final Class<? extends SocketChannel> channelClass;
    private final EndpointResolver resolver;
    private final RandomGenerator random;
    private volatile HealthCheckConfig config;
    private volatile String upstream;
    /** {@code send_proxy_protocol} of the upstream: every check connection starts with a LOCAL header. */
    private volatile io.sluice.config.UpstreamConfig.SendProxyProtocol proxyHeader =
            io.sluice.config.UpstreamConfig.SendProxyProtocol.OFF;
    /** Loop-confined from here. */
    private final HealthCounter counter;
    private ScheduledFuture<?> next;
    private boolean stopped;
    private int generation;

    ActiveHealthChecker(String upstream, Endpoint endpoint, HealthCheckConfig config, EventLoop loop,
                        Class<? extends SocketChannel> channelClass, EndpointResolver resolver,
                        RandomGenerator random) {
        this.upstream = upstream;
        this.endpoint = endpoint;
        this.config = config;
        this.loop = loop;
        this.channelClass = channelClass;
        this.resolver = resolver;
        this.random = random;
        // Healthy unless it inherited a failing verdict (the same address at a new position after a reload).
        this.counter = new HealthCounter(config.healthyThreshold(), config.unhealthyThreshold(),
                !endpoint.isOut(Endpoint.FAILING));
    }

    /** Schedules the first check within one interval (spread, so a start does not check everything at once). */
    void start() {
        loop.execute(() -> schedule((long) (random.nextDouble() * config.interval().toNanos())));
    }

    /** A reload: the new configuration applies from the next check. Any thread. */
    void update(String upstream, HealthCheckConfig config) {
        this.upstream = upstream;
        this.config = config;
        loop.execute(() -> counter.thresholds(config.healthyThreshold(), config.unhealthyThreshold()));
    }

    /** The PROXY protocol header each check sends first (LOCAL: the proxy speaking for itself). Any thread. */
    void proxyHeader(io.sluice.config.UpstreamConfig.SendProxyProtocol version) {
        this.proxyHeader = version;
    }

    /** Stops checking and lets go of the endpoint's active-check verdict. Any thread. */
    void stop() {
        loop.execute(() -> {
            stopped = true;
            generation++;
            if (next != null) {
                next.cancel(false);
            }
            endpoint.setOut(Endpoint.FAILING, false);
        });
    }

    private void schedule(long delayNanos) {
        if (!stopped) {
            next = loop.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private long jitteredInterval() {
        long interval = config.interval().toNanos();
        return (long) (interval * (0.9 + 0.2 * random.nextDouble()));
    }

    private void check() {
        if (stopped) {
            return;
        }
        HealthCheckConfig c = config;
        int run = ++generation;
        boolean http = c.type().equals(HealthCheckConfig.HTTP);
        io.sluice.config.UpstreamConfig.SendProxyProtocol header = proxyHeader;
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, c.timeout().toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) throws SSLException {
                        io.sluice.upstream.ProxyHeaderSender.addLocalTo(ch.pipeline(), header);
                        if (http && endpoint.tls()) {
                            ch.pipeline().addLast(tls().newHandler(ch.alloc(), endpoint.host(),
                                    endpoint.socketAddress().getPort()));
                        }
                        if (http) {
                            ch.pipeline().addLast(new HttpClientCodec()).addLast(new ResponseHandler(run, c));
                        }
                    }
                });
        // the check's own timeout (below) bounds the lookup and the connect too
        ChannelFuture connect = resolver.connect(b, loop, endpoint, upstream, c.timeout().toMillis());
        Channel ch = connect.channel();
        ScheduledFuture<?> timeout = loop.schedule(() -> {
            finish(run, false, "timed out after " + Durations.format(c.timeout()));
            ch.close();
        }, c.timeout().toNanos(), TimeUnit.NANOSECONDS);
        ch.closeFuture().addListener(f -> timeout.cancel(false));
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                finish(run, false, "connect failed: " + f.cause().getMessage());
            } else if (!http) {
                finish(run, true, "connected");
                // written first: the PROXY header, when the endpoint expects one, so it does not log an error
                f.channel().writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            } else {
                FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, c.path());
                request.headers().set(HttpHeaderNames.HOST, c.host() != null ? c.host() : endpoint.authority())
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                        .set(HttpHeaderNames.USER_AGENT, "sluice-health-check")
                        .set(HttpHeaderNames.CONTENT_LENGTH, 0);
                f.channel().writeAndFlush(request);
                f.channel().closeFuture().addListener(closed -> finish(run, false, "closed without a response"));
            }
        });
    }

    /** The outcome of check {@code run}: only its first report counts. Then the next check is scheduled. */
    private void finish(int run, boolean passed, String why) {
        if (run != generation || stopped) {
            return;
        }
        generation++;
        endpoint.healthChecked(passed);
        boolean wasHealthy = counter.healthy();
        if (counter.record(passed)) {
            EndpointState before = endpoint.setOut(Endpoint.FAILING, !passed);
            log.info("upstream {} endpoint {}: active health check {} ({}); {} (state {} -> {})", upstream, endpoint,
                    passed ? "passed" : "failed", why, wasHealthy ? "failing: out" : "passing: back",
                    before.label(), endpoint.state().label());
        } else if (log.isDebugEnabled()) {
            log.debug("upstream {} endpoint {}: active health check {} ({})", upstream, endpoint,
                    passed ? "passed" : "failed", why);
        }
        schedule(jitteredInterval());
    }

    private static SslContext tls() throws SSLException {
        SslContext ctx = tls;
        if (ctx == null) {
            synchronized (ActiveHealthChecker.class) {
                if (tls == null) {
                    tls = SslContextBuilder.forClient().build();
                }
                ctx = tls;
            }
        }
        return ctx;
    }

    /** Reads the status of the response, then closes; the codec's messages are released by the superclass. */
    private final class ResponseHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final int run;
        private final HealthCheckConfig config;

        ResponseHandler(int run, HealthCheckConfig config) {
            this.run = run;
            this.config = config;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse response) {
                int code = response.status().code();
                if (msg.decoderResult().isFailure()) {
                    finish(run, false, "malformed response");
                } else if (code >= 100 && code < 200) {
                    return; // interim: the real answer follows
                } else {
                    boolean ok = code >= config.expectStatusMin() && code <= config.expectStatusMax();
                    finish(run, ok, "status " + code);
                }
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish(run, false, cause.getClass().getSimpleName() + ": " + cause.getMessage());
            ctx.close();
        }
    }
}
