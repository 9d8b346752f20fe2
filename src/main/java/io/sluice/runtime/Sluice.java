package io.sluice.runtime;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.accept.ClientReadSizes;
import io.sluice.accept.DrainEvent;
import io.sluice.accept.HttpListenerInitializer;
import io.sluice.accept.ListenerContext;
import io.sluice.admin.AdminServer;
import io.sluice.admin.ReloadOutcome;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.config.ConfigError;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.ListenerConfig;
import io.sluice.config.Protocol;
import io.sluice.config.ResolverConfig;
import io.sluice.config.RouteConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.filter.FilterChain;
import io.sluice.filter.FilterChains;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.observe.Observability;
import io.sluice.route.Route;
import io.sluice.route.RouteTable;
import io.sluice.tcp.TcpFrontendHandler;
import io.sluice.tcp.TcpListenerContext;
import io.sluice.tls.ServerTls;
import io.sluice.upstream.BufferBudget;
import io.sluice.upstream.EndpointResolver;
import io.sluice.upstream.Upstream;
import io.sluice.upstream.UpstreamConnector;
import io.sluice.upstream.health.HealthService;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: the event loops, the listeners, the upstreams and the admin server built from one
 * {@link SluiceConfig}. {@link #reload} swaps in a new configuration without closing connections;
 * {@link #stop} drains gracefully. Reload and stop are called from one control thread (signals, tests).
 */
public final class Sluice implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sluice.class);

    private final ProxyMetrics metrics = new ProxyMetrics();
    private final Observability observability = new Observability(metrics);
    private final ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
    private final Map<String, RunningListener> listeners = new LinkedHashMap<>();
    /** Builds filter chains and keeps their state (buckets, queues) from one configuration to the next. */
    private final FilterChains filterChains = new FilterChains();
    /** One daemon thread that polls certificate files; a rebuild never runs on an event loop. */
    private final ScheduledExecutorService tlsReloads = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-tls-reload");
        t.setDaemon(true);
        return t;
    });
    /**
     * The control thread: reloads (SIGHUP, the admin API) and log reopening run here one at a time, never on
     * an event loop or a signal's thread.
     */
    private final ExecutorService control = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sluice-control");
        t.setDaemon(true);
        return t;
    });
    private volatile ReloadOutcome lastReload;
    /** The text of the configuration file in force, for /api/config; null when started without it. */
    private volatile String source;
    /** The https listeners, for the certificate expiry metric: a copy, replaced after each start and reload. */
    private volatile List<RunningListener> tlsListeners = List.of();
    /** Each listener's bound address, for /api/listeners: a copy, replaced after each start and reload (no lock). */
    private volatile Map<String, InetSocketAddress> boundAddresses = Map.of();
    private EventLoopGroup workers;
    /** Looks up endpoint names for every connect of the process; built at start from {@code server.resolver}. */
    private EndpointResolver resolver;
    private ResolverConfig resolverConfig;
    private UpstreamConnector connector;
    private AdminServer admin;
    private HealthService health;
    private volatile SluiceConfig config;
    private volatile Map<String, Upstream> upstreams = Map.of();
    private Transport transport;
    /** The shared store ({@code redis:}); null without one. Read by event loops (sticky sessions), written here. */
    private volatile io.sluice.state.RedisStore redis;
    /** The configuration as loaded; {@link #config} is it with the endpoints discovery found added. */
    private volatile SluiceConfig fileConfig;
    /** One ZooKeeper watch per upstream with {@code discovery:}, by upstream name; guarded by this. */
    /** The ZooKeeper watch of each upstream with discovery; replaced as a whole by a reload that succeeds. */
    private Map<String, io.sluice.upstream.discovery.ZooKeeperDiscovery> discoveries = Map.of();
    private volatile boolean stopped;

    public Sluice(SluiceConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Binds every listener; throws (after undoing what it did) when one cannot be bound. */
    public synchronized void start() throws Exception {
        transport = Transport.choose(config.server().transport());
        workers = transport.newGroup(config.server().workers(), "sluice-worker");
        metrics.bindUpstreams(() -> upstreams.values());
        metrics.bindCaches(filterChains::cacheStats);
        metrics.buildInfo(BuildInfo.labels(transport.name()));
        metrics.bindCertificates(this::servedCertificates);
        try {
            resolverConfig = config.server().resolver();
            resolver = new EndpointResolver(resolverConfig, transport.datagramChannelClass(),
                    transport.socketChannelClass(), workers);
            BufferBudget budget = new BufferBudget(config.server().bufferBudget());
            metrics.observed().bindBufferBudget(budget);
            connector = new UpstreamConnector(transport.socketChannelClass(), resolver, budget);
            observability.configure(config);
            if (config.redis() != null) {
                redis = io.sluice.state.RedisStore.start(config.redis()); // connects in the background
                filterChains.redis(redis);
            }
            fileConfig = config;
            discoveries = watchesFor(config, Map.of());
            config = withDiscovered(config);
            upstreams = buildUpstreams(config, Map.of(), false);
            health = new HealthService(workers, transport.socketChannelClass(), resolver, () -> upstreams.values());
            health.update(upstreams.values());
            for (ListenerConfig listener : config.listeners()) {
                listeners.put(listener.name(), bind(listener));
            }
            startAdmin(config);
            snapshotListeners();
        } catch (Exception e) {
            close();
            throw e;
        }
        metrics.reloaded(true, System.currentTimeMillis()); // the configuration in force was loaded now
        metrics.buildInfo(BuildInfo.labels(transport.name())); // again: the tls label is known once a TLS context was built
        log.info("sluice started ({} transport, {} worker threads): {}", transport.name(),
                ((io.netty.util.concurrent.MultithreadEventExecutorGroup) workers).executorCount(), describeListeners());
    }

    private String describeListeners() {
        List<String> parts = new ArrayList<>();
        for (RunningListener l : listeners.values()) {
            InetSocketAddress a = (InetSocketAddress) l.channel.localAddress();
            parts.add(l.config.name() + " " + l.config.protocol().name().toLowerCase() + "://" + hostPort(a));
        }
        if (admin != null) {
            parts.add("admin http://" + hostPort(admin.localAddress()));
        }
        return String.join(", ", parts);
    }

    /** {@code 127.0.0.1:8080}, {@code [::1]:8080}: IPv6 in its short form (RFC 5952), as the contract writes it. */
    static String hostPort(InetSocketAddress a) {
        return io.netty.util.NetUtil.toSocketAddressString(a);
    }

    private void startAdmin(SluiceConfig cfg) throws InterruptedException {
        if (cfg.admin() != null) {
            admin = new AdminServer(cfg.admin(), workers, metrics, () -> upstreams.values(), () -> config,
                    name -> boundAddresses.get(name), observability.startMillis(), new AdminServer.Reloads() {
                        @Override
                        public CompletableFuture<ReloadOutcome> reload() {
                            return reloadFileAsync("admin API");
                        }

                        @Override
                        public ReloadOutcome last() {
                            return lastReload;
                        }

                        @Override
                        public String source() {
                            return source;
                        }

                        @Override
                        public java.util.concurrent.CompletionStage<Integer> purgeCache(String prefix) {
                            return filterChains.purgeCaches(prefix);
                        }
                    });
            admin.start();
        }
    }

    /**
     * The upstreams of {@code cfg}, built anew (endpoints that stay keep their state); with {@code keepUnchanged},
     * one whose settings and endpoints are those of the running one is that one itself, untouched (a discovery
     * change in one upstream resets nothing in the others: passive windows, retry budget, rotation, weights set
     * through the admin API).
     */
    private Map<String, Upstream> buildUpstreams(SluiceConfig cfg, Map<String, Upstream> previous,
                                                 boolean keepUnchanged) {
        Map<String, Upstream> built = new LinkedHashMap<>();
        for (UpstreamConfig upstreamConfig : cfg.upstreams().values()) {
            Map<String, Endpoint> old = new HashMap<>();
            Upstream before = previous.get(upstreamConfig.name());
            if (keepUnchanged && before != null && before.config().equals(upstreamConfig)) {
                built.put(upstreamConfig.name(), before);
                continue;
            }
            if (before != null) {
                for (Endpoint e : before.endpoints()) {
                    old.put(e.address(), e);
                }
            }
            Upstream u = new Upstream(upstreamConfig, connector, metrics, old, before, () -> redis);
            io.sluice.upstream.discovery.ZooKeeperDiscovery d = discoveries.get(upstreamConfig.name());
            if (d != null) {
                u.discoveryConnected(d::connected);
            }
            built.put(upstreamConfig.name(), u);
        }
        if (needsNames(cfg, built)) {
            resolver.prepare(); // here, on the control thread, not on the first connect's event loop
        }
        return built;
    }

    /** Whether the shared store ({@code redis:}) has a connection now; false without one. */
    public boolean sharedStoreConnected() {
        io.sluice.state.RedisStore r = redis;
        return r != null && r.connected();
    }

    /** The process's endpoint resolver (tests). */
    public EndpointResolver resolver() {
        return resolver;
    }

    /** Whether some endpoint has a host name, or a forward proxy looks names up. */
    private static boolean needsNames(SluiceConfig cfg, Map<String, Upstream> upstreams) {
        for (ListenerConfig l : cfg.listeners()) {
            if (l.forwardProxy() != null) {
                return true;
            }
        }
        for (Upstream u : upstreams.values()) {
            for (Endpoint e : u.endpoints()) {
                if (e.socketAddress().isUnresolved()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A listener's routes with their filter chains: the listener's filters, then each route's. */
    private RouteTable buildRoutes(ListenerConfig listener, Map<String, Upstream> ups) {
        FilterChain outer = filterChains.build(listener.filters(), listener.name(), null);
        List<Route> routes = new ArrayList<>();
        for (RouteConfig route : listener.routes()) {
            FilterChain chain = outer.then(filterChains.build(route.filters(), listener.name(), route.name()));
            routes.add(new Route(route, ups::get, chain));
        }
        return new RouteTable(routes, outer);
    }

    private RunningListener bind(ListenerConfig listener) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false) // TCP_NODELAY is Netty's default for sockets
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, ClientReadSizes.SHARED);
        RunningListener running = new RunningListener(listener);
        if (listener.protocol() == Protocol.TCP) {
            running.tcp = new TcpListenerContext(listener.name(), upstreams.get(listener.upstream()),
                    listener.idleTimeout());
            running.tcp.proxyProtocol(listener.proxyProtocol(), listener.proxyProtocolFrom(),
                    config.server().clientTimeouts().requestHead());
            bootstrap.childHandler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    connections.add(ch);
                    java.util.List<io.sluice.config.Cidr> from = running.tcp.proxyProtocolFrom();
                    if (from != null) {
                        ch.pipeline().addLast("proxy-protocol", new io.sluice.accept.ProxyProtocolReader(from,
                                running.tcp.requestHeadNanos(), () -> { }));
                    }
                    ch.pipeline().addLast("frontend",
                            new TcpFrontendHandler(running.tcp, transport.socketChannelClass(), resolver));
                }
            });
        } else {
            boolean https = listener.protocol() == Protocol.HTTPS;
            running.tls = https ? new ServerTls(listener.name(), listener.tls()) : null;
            running.http = new ListenerContext(listener.name(), https, buildRoutes(listener, upstreams),
                    config.server().maxRequestHead(), observability);
            running.http.clientTimeouts(config.server().clientTimeouts());
            running.http.proxyProtocol(listener.proxyProtocol(), listener.proxyProtocolFrom());
            forwardProxy(running.http, listener);
            running.http.httpsRedirectPort(listener.redirectToHttps() ? listener.httpsPort() : -1);
            bootstrap.childHandler(new HttpListenerInitializer(running.http, connections, running.tls));
        }
        try {
            running.sockets = bindSockets(bootstrap, listener.address().toSocketAddress());
            running.channel = running.sockets.get(0);
            if (running.http != null && running.channel.localAddress() instanceof java.net.InetSocketAddress a) {
                running.http.port(a.getPort()); // port 0 in the file: the one it got
            }
        } catch (Exception e) {
            throw new IllegalStateException("listener '" + listener.name() + "': cannot listen on "
                    + listener.address() + ": " + e.getMessage(), e);
        }
        if (listener.http3()) {
            startHttp3(running);
        }
        if (running.tls != null) {
            watchCertificates(running);
        }
        return running;
    }

    /** HTTP/3 beside an https listener's TCP socket, on the port it got; a failure closes the listener too. */
    private void startHttp3(RunningListener running) throws InterruptedException {
        try {
            running.http3 = io.sluice.accept.Http3Listener.start(running.config.name(), running.http,
                    running.config.tls(), workers.next(), transport.datagramChannelClass(),
                    (java.net.InetSocketAddress) running.channel.localAddress(), config.server().clientTimeouts());
        } catch (InterruptedException | RuntimeException e) {
            running.sockets.forEach(Channel::close);
            throw e;
        }
    }

    /** A reload turned {@code http3} on or off for a listener that keeps its socket. */
    private void updateHttp3(RunningListener r, ListenerConfig lc, SluiceConfig next) throws InterruptedException {
        if (lc.http3() && r.http3 == null) {
            r.http3 = io.sluice.accept.Http3Listener.start(lc.name(), r.http, lc.tls(), workers.next(),
                    transport.datagramChannelClass(), (java.net.InetSocketAddress) r.channel.localAddress(),
                    next.server().clientTimeouts());
        } else if (!lc.http3() && r.http3 != null) {
            r.http3.close();
            r.http3 = null;
        } else if (r.http3 != null) {
            r.http3.certificates(lc.tls());
        }
    }

    /**
     * Binds a listener. With {@code server.reuse_port} on the native transport, each event loop gets its own
     * listening socket (SO_REUSEPORT) and accepts on it the connections it then serves: the kernel spreads new
     * connections over the loops, no loop hands an accepted channel to another, and no single acceptor is a
     * queue every connection waits in (docs/benchmarks.md, "One listening socket per worker"). Otherwise one
     * socket whose connections are dealt to the loops in turn. The first socket stands for the listener:
     * closing it closes the others.
     */
    private List<Channel> bindSockets(ServerBootstrap bootstrap, SocketAddress address) throws InterruptedException {
        if (!config.server().reusePort() || !transport.reusePort()) {
            return List.of(bootstrap.group(workers).bind(address).sync().channel());
        }
        List<Channel> bound = new ArrayList<>();
        SocketAddress at = address;
        try {
            for (EventExecutor executor : workers) {
                EventLoop loop = (EventLoop) executor;
                Channel socket = bootstrap.clone().group(loop, loop).option(transport.reusePortOption(), true)
                        .bind(at).sync().channel();
                bound.add(socket);
                at = socket.localAddress(); // port 0 in the file: the others join the port the first one got
            }
        } catch (InterruptedException | RuntimeException e) {
            bound.forEach(Channel::close);
            throw e;
        }
        Channel first = bound.get(0);
        first.closeFuture().addListener(f -> bound.forEach(Channel::close));
        return List.copyOf(bound);
    }

    /**
     * Swaps in {@code next}: new routes and upstreams for new requests, requests in flight finish on the
     * ones they started with. Listeners whose address changed are re-bound; a failure to bind leaves the
     * old configuration in force and is thrown.
     */
    public synchronized void reload(SluiceConfig next) throws Exception {
        Map<String, io.sluice.upstream.discovery.ZooKeeperDiscovery> before = discoveries;
        Map<String, io.sluice.upstream.discovery.ZooKeeperDiscovery> after = watchesFor(next, before);
        discoveries = after;
        try {
            swap(withDiscovered(next), false);
        } catch (Exception | Error e) {
            // Refused: the running file and its watches stay, or every later discovery change would apply (or
            // fail on) the refused file.
            discoveries = before;
            closeUnused(after, before);
            throw e;
        }
        closeUnused(before, after);
        fileConfig = next;
        log.info("configuration reloaded: {}", describeListeners());
    }

    /**
     * Discovery found other endpoints for an upstream: the configuration in force again, with them (on the control
     * thread). Endpoints that stay keep their state, as on a reload; requests in flight finish where they are.
     */
    private synchronized void rediscover() {
        if (stopped || fileConfig == null) {
            return;
        }
        try {
            swap(withDiscovered(fileConfig), true);
        } catch (Exception e) {
            log.warn("applying the endpoints discovery found failed, the previous ones stay: {}", e.toString());
        }
    }

    /**
     * The ZooKeeper watches {@code cfg} asks for: those of {@code running} whose settings it keeps, and new ones
     * for the rest. A new watch that replaces one (its connect string or path changed) starts with that one's
     * last endpoints, which stay until the new one has read its node: a changed setting never empties an
     * upstream while ZooKeeper is slow or away.
     */
    private Map<String, io.sluice.upstream.discovery.ZooKeeperDiscovery> watchesFor(SluiceConfig cfg,
            Map<String, io.sluice.upstream.discovery.ZooKeeperDiscovery> running) {
        Map<String, io.sluice.upstream.discovery.ZooKeeperDiscovery> watches = new HashMap<>();
        for (UpstreamConfig u : cfg.upstreams().values()) {
            io.sluice.config.DiscoveryConfig wanted = u.policies().discovery();
            if (wanted == null) {
                continue;
            }
            io.sluice.upstream.discovery.ZooKeeperDiscovery current = running.get(u.name());
            if (current != null && current.config().equals(wanted)) {
                watches.put(u.name(), current);
            } else {
                watches.put(u.name(), io.sluice.upstream.discovery.ZooKeeperDiscovery.start(u.name(), wanted,
                        current == null ? List.of() : current.endpoints(), found -> control.execute(this::rediscover)));
            }
        }
        return watches;
    }

    /** Closes the watches of {@code from} that {@code kept} does not hold. */
    private static void closeUnused(Map<String, io.sluice.upstream.discovery.ZooKeeperDiscovery> from,
                                    Map<String, io.sluice.upstream.discovery.ZooKeeperDiscovery> kept) {
        for (io.sluice.upstream.discovery.ZooKeeperDiscovery d : from.values()) {
            if (!kept.containsValue(d)) {
                d.close();
            }
        }
    }

    /** {@code file} with each discovered upstream's endpoints after its listed ones (an address listed wins). */
    private SluiceConfig withDiscovered(SluiceConfig file) {
        if (discoveries.isEmpty()) {
            return file;
        }
        Map<String, UpstreamConfig> ups = new LinkedHashMap<>();
        for (UpstreamConfig u : file.upstreams().values()) {
            io.sluice.upstream.discovery.ZooKeeperDiscovery d = discoveries.get(u.name());
            if (d == null) {
                ups.put(u.name(), u);
                continue;
            }
            List<io.sluice.config.EndpointConfig> all = new ArrayList<>(u.endpoints());
            java.util.Set<String> listed = new java.util.HashSet<>();
            u.endpoints().forEach(e -> listed.add(e.address()));
            for (io.sluice.config.EndpointConfig e : d.endpoints()) {
                if (listed.add(e.address())) {
                    all.add(e);
                }
            }
            ups.put(u.name(), new UpstreamConfig(u.name(), u.balancer(), u.hashOn(), u.virtualNodes(),
                    u.hashBalanceFactor(), u.slowStart(), all, u.healthCheck(), u.passive(), u.retry(), u.timeouts(),
                    u.panicThreshold(), u.protocol(), u.tls(), u.sendProxyProtocol(), u.policies()));
        }
        return new SluiceConfig(file.file(), file.server(), file.listeners(), ups, file.admin(), file.accessLog(),
                file.tracing(), file.expanded(), file.redis());
    }

    /** Whether the ZooKeeper watch of {@code upstream} has a session now; null when it has no discovery. */
    public Boolean discoveryConnected(String upstream) {
        io.sluice.upstream.discovery.ZooKeeperDiscovery d;
        synchronized (this) {
            d = discoveries.get(upstream);
        }
        return d == null ? null : d.connected();
    }

    /**
     * Swaps in {@code next} (the configuration with its discovered endpoints): see {@link #reload}; with
     * {@code keepUnchanged} (a discovery change), upstreams it does not change stay as they are.
     */
    private void swap(SluiceConfig next, boolean keepUnchanged) throws Exception {
        // opened now (a bad access_log path fails the reload before anything changed), in force only once
        // the listeners are bound: a refused reload keeps the running tracing and access log
        io.sluice.observe.Observability.Prepared observed = observability.prepare(next);
        Map<String, Upstream> nextUpstreams;
        Map<String, RunningListener> kept = new LinkedHashMap<>();
        Map<String, Upstream> previousUpstreams = upstreams;
        io.sluice.state.RedisStore previousRedis = redis;
        try {
            if (!resolverConfig.equals(next.server().resolver())) {
                log.warn("server.resolver changed: the running resolver stays; the new settings apply at the next start");
            }
            if (!config.server().transport().equals(next.server().transport())) {
                log.warn("server.transport changed: the running transport ({}) stays; the new one applies at the next start",
                        transport.name());
            }
            nextUpstreams = buildUpstreams(next, upstreams, keepUnchanged);
            if (!Objects.equals(config.redis(), next.redis())) { // a new store for the filters built from here on
                redis = next.redis() == null ? null : io.sluice.state.RedisStore.start(next.redis());
                filterChains.redis(redis);
            }
            filterChains.beginBuild();
            List<RunningListener> added = new ArrayList<>();
            upstreams = nextUpstreams; // bind() reads it for tcp listeners
            try {
                for (ListenerConfig lc : next.listeners()) {
                    RunningListener current = listeners.get(lc.name());
                    if (current != null && current.config.address().equals(lc.address())
                            && current.config.protocol() == lc.protocol()) {
                        kept.put(lc.name(), current);
                    } else {
                        RunningListener sameAddress = findByAddress(lc);
                        if (sameAddress != null && sameAddress.config.protocol() == lc.protocol()
                                && !kept.containsValue(sameAddress)) {
                            kept.put(lc.name(), sameAddress); // renamed: keep the socket
                        } else {
                            RunningListener fresh = bind(lc);
                            added.add(fresh);
                            kept.put(lc.name(), fresh);
                        }
                    }
                }
            } catch (Exception e) {
                for (RunningListener r : added) {
                    r.channel.close();
                }
                upstreams = previousUpstreams;
                if (redis != previousRedis) {
                    if (redis != null) {
                        redis.close();
                    }
                    redis = previousRedis;
                    filterChains.redis(redis);
                }
                throw e;
            }
        } catch (Throwable e) {
            observability.abandon(observed);
            throw e;
        }
        observability.commit(observed);
        for (Map.Entry<String, RunningListener> entry : kept.entrySet()) {
            RunningListener r = entry.getValue();
            ListenerConfig lc = next.listeners().stream().filter(l -> l.name().equals(entry.getKey())).findFirst()
                    .orElseThrow();
            r.config = lc;
            if (r.http != null) {
                if (r.tls != null) {
                    try {
                        r.tls.update(lc.tls());
                    } catch (RuntimeException e) {
                        log.warn("listener '{}': new TLS settings do not load, keeping the previous ones: {}",
                                lc.name(), e.getMessage());
                    }
                }
                if (r.tls != null) {
                    try {
                        updateHttp3(r, lc, next);
                    } catch (RuntimeException e) {
                        log.warn("listener '{}': {}", lc.name(), e.getMessage());
                    }
                }
                r.http.httpsRedirectPort(lc.redirectToHttps() ? lc.httpsPort() : -1);
                r.http.update(buildRoutes(lc, nextUpstreams), next.server().maxRequestHead());
                r.http.clientTimeouts(next.server().clientTimeouts());
                r.http.proxyProtocol(lc.proxyProtocol(), lc.proxyProtocolFrom());
                forwardProxy(r.http, lc);
            } else if (r.tcp != null) {
                r.tcp.update(nextUpstreams.get(lc.upstream()), lc.idleTimeout());
                r.tcp.proxyProtocol(lc.proxyProtocol(), lc.proxyProtocolFrom(), next.server().clientTimeouts().requestHead());
            }
        }
        for (RunningListener old : listeners.values()) {
            if (!kept.containsValue(old)) {
                closeSockets(old); // its connections finish what they started
            }
        }
        listeners.clear();
        listeners.putAll(kept);
        snapshotListeners();
        retireRemovedEndpoints(previousUpstreams, nextUpstreams);
        for (Upstream old : previousUpstreams.values()) {
            if (nextUpstreams.get(old.name()) != old) {
                old.retire();
            }
        }
        health.update(nextUpstreams.values());
        if (!Objects.equals(config.admin(), next.admin())) {
            if (admin != null) {
                admin.close();
                admin = null;
            }
            startAdmin(next);
        }
        filterChains.retainOnly(); // state of filters the new configuration dropped
        if (previousRedis != null && previousRedis != redis) {
            previousRedis.close(); // requests in flight that wait on it fail over as on_store_error says
        }
        config = next;
        connector.bufferBudget().limit(next.server().bufferBudget());
    }

    /**
     * Re-reads the configuration file on the control thread and swaps it in, then reopens the access log
     * (as SIGUSR1 does, so a logrotate {@code postrotate} may send either signal). Completes with the
     * outcome, also when the file is refused; fails only when there is no file (quick mode).
     */
    public CompletableFuture<ReloadOutcome> reloadFileAsync(String trigger) {
        if (config.file() == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "no configuration file to reload (started without one)"));
        }
        return CompletableFuture.supplyAsync(() -> reloadFile(trigger), control);
    }

    /** The text {@code config} was parsed from (its file as read then), shown by /api/config. */
    public void source(String text) {
        this.source = text;
    }

    private ReloadOutcome reloadFile(String trigger) {
        Path file = config.file();
        ReloadOutcome outcome;
        try {
            String text = readOrNull(file);
            reload(text == null ? ConfigLoader.load(file) : ConfigLoader.parse(text, file));
            source = text;
            outcome = new ReloadOutcome(Instant.now(), trigger, true, List.of());
        } catch (ConfigException e) {
            List<String> errors = e.errors().stream().map(ConfigError::toString).toList();
            log.error("reload refused ({}), the running configuration stays:\n{}", trigger, String.join("\n", errors));
            outcome = new ReloadOutcome(Instant.now(), trigger, false, errors);
        } catch (Exception e) {
            log.error("reload failed ({}), the running configuration stays: {}", trigger, e.getMessage());
            outcome = new ReloadOutcome(Instant.now(), trigger, false, List.of(String.valueOf(e.getMessage())));
        }
        lastReload = outcome;
        metrics.reloaded(outcome.success(), outcome.at().toEpochMilli());
        metrics.buildInfo(BuildInfo.labels(transport.name()));
        reopenLogsNow();
        return outcome;
    }

    /** The file's text, or null when it cannot be read as UTF-8 (then the loader says why). */
    public static String readOrNull(Path file) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The last reload attempt, or null when there was none since the start. */
    public ReloadOutcome lastReload() {
        return lastReload;
    }

    /** Reopens the access log file on the control thread (SIGUSR1: after logrotate moved it away). */
    public CompletableFuture<Void> reopenLogs() {
        return CompletableFuture.runAsync(this::reopenLogsNow, control);
    }

    private void reopenLogsNow() {
        observability.reopen();
    }

    /** The certificates the https listeners serve now; read at scrape time from an event loop (no lock). */
    private List<ProxyMetrics.CertificateExpiry> servedCertificates() {
        List<ProxyMetrics.CertificateExpiry> out = new ArrayList<>();
        for (RunningListener r : tlsListeners) {
            for (ServerTls.Served s : r.tls.served()) {
                out.add(new ProxyMetrics.CertificateExpiry(r.config.name(), s.source(), s.subject(), s.notAfterMillis()));
            }
        }
        return out;
    }

    /** Control thread, after the listeners changed. */
    private void snapshotListeners() {
        tlsListeners = listeners.values().stream().filter(r -> r.tls != null).toList();
        Map<String, InetSocketAddress> bound = new HashMap<>();
        listeners.forEach((name, r) -> {
            if (r.channel.localAddress() instanceof InetSocketAddress a) {
                bound.put(name, a);
            }
        });
        boundAddresses = Map.copyOf(bound);
    }

    /** {@code forward_proxy}: made for the listener, given the new rules on a reload, or taken away. */
    private void forwardProxy(ListenerContext http, ListenerConfig listener) {
        if (listener.forwardProxy() == null) {
            http.forwardProxy(null);
        } else if (http.forwardProxy() != null) {
            http.forwardProxy().update(listener.forwardProxy(), listener.idleTimeout());
        } else {
            http.forwardProxy(new io.sluice.forward.ForwardProxy(listener.name(), listener.forwardProxy(),
                    listener.idleTimeout(), connector, transport.socketChannelClass(), workers, http.observer(),
                    metrics));
        }
    }

    /** Polls the listener's certificate files for changes, off the event loops; stops when the listener closes. */
    private void watchCertificates(RunningListener running) {
        long every = running.tls.config().reloadInterval().toMillis();
        ScheduledFuture<?> task = tlsReloads.scheduleWithFixedDelay(() -> {
            if (running.tls.poll() && running.http3 != null) {
                running.http3.certificates(running.tls.config());
            }
        }, every, every, TimeUnit.MILLISECONDS);
        running.tls.startAcme(); // tls.acme: obtains and renews on its own thread
        running.channel.closeFuture().addListener(f -> {
            task.cancel(false);
            running.tls.close();
        });
    }

    private RunningListener findByAddress(ListenerConfig lc) {
        for (RunningListener r : listeners.values()) {
            if (r.config.address().equals(lc.address())) {
                return r;
            }
        }
        return null;
    }

    private void retireRemovedEndpoints(Map<String, Upstream> before, Map<String, Upstream> after) {
        List<Endpoint> gone = new ArrayList<>();
        for (Upstream old : before.values()) {
            Upstream now = after.get(old.name());
            for (Endpoint e : old.endpoints()) {
                if (now == null || !now.endpoints().contains(e)) {
                    e.state(EndpointState.DRAINING);
                    gone.add(e);
                }
            }
        }
        if (gone.isEmpty()) {
            return;
        }
        for (EventExecutor loop : workers) {
            loop.execute(() -> gone.forEach(connector.pools()::retire));
        }
    }

    /**
     * Stops gracefully: listening sockets close at once, idle connections close, requests in flight get up
     * to {@code timeout} to finish, then everything closes.
     */
    public void stop(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            for (RunningListener r : listeners.values()) {
                closeSockets(r);
                if (r.http != null) {
                    r.http.drain();
                }
            }
        }
        for (Channel ch : connections) {
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE));
        }
        // Wait for each connection that was open when the drain began (new ones cannot arrive: the
        // listeners are closed), up to the deadline.
        for (Channel ch : connections.toArray(new Channel[0])) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            ch.closeFuture().awaitUninterruptibly(left, TimeUnit.NANOSECONDS);
        }
        // Open ones only: a connection that has just closed may still be in the group, whose listener removes it
        // after this thread was woken (which made the warning appear at once, with nothing busy).
        long busy = connections.stream().filter(Channel::isOpen).count();
        if (busy > 0) {
            log.warn("shutdown timeout: closing {} connection(s) still busy", busy);
        }
        close();
    }

    @Override
    public synchronized void close() {
        stopped = true;
        discoveries.values().forEach(io.sluice.upstream.discovery.ZooKeeperDiscovery::close);
        discoveries = Map.of();
        for (RunningListener r : listeners.values()) {
            closeSockets(r);
        }
        listeners.clear();
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (health != null) {
            health.close();
            health = null;
        }
        tlsReloads.shutdownNow();
        if (redis != null) {
            redis.close();
            redis = null;
        }
        control.shutdown();
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (resolver != null) {
            resolver.close(); // its datagram channels, while their loops still run
            resolver = null;
        }
        if (workers != null) {
            // A quiet period, not 0: on io_uring a connection with a read in flight closes only when the kernel
            // has confirmed the read's cancellation, which the loop must still be running to see (with 0 the loop
            // could end first, and the read's buffer would never go back to the allocator).
            workers.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        observability.close(); // after the workers: the last requests' lines are queued by now
    }

    /** The bound address of listener {@code name} (the real port when the file said 0). */
    public synchronized InetSocketAddress listenerAddress(String name) {
        RunningListener r = listeners.get(name);
        return r == null ? null : (InetSocketAddress) r.channel.localAddress();
    }

    public synchronized InetSocketAddress adminAddress() {
        return admin == null ? null : admin.localAddress();
    }

    public SluiceConfig config() {
        return config;
    }

    public Collection<Upstream> upstreams() {
        return upstreams.values();
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /**
     * Closes every listening socket of {@code r} and waits (up to 5 s each) until each is closed: on io_uring
     * a socket with an accept in flight closes only once the kernel has confirmed the accept's cancellation,
     * and the port is free only then (a stop, then a new start on the same port).
     */
    private static void closeSockets(RunningListener r) {
        if (r.http3 != null) {
            r.http3.close(); // QUIC has no listening socket apart from its connections: they end with it
            r.http3 = null;
        }
        for (Channel socket : r.sockets) {
            socket.close();
        }
        for (Channel socket : r.sockets) {
            socket.closeFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** One bound listener and the context its connections share. */
    private static final class RunningListener {
        ListenerConfig config;
        Channel channel;              // the first listening socket: it stands for the listener
        List<Channel> sockets = List.of(); // all of them (one per worker with reuse_port)
        ListenerContext http;
        ServerTls tls;
        volatile io.sluice.accept.Http3Listener http3; // http3: true; read by the certificate watcher too
        TcpListenerContext tcp;

        RunningListener(ListenerConfig config) {
            this.config = config;
        }
    }

    /** For tests: the event loop a channel of this proxy would run on. */
    EventLoop anyLoop() {
        return workers.next();
    }
}
