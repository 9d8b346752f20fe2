package io.sluice.upstream;

import io.sluice.balance.Balancer;
import io.sluice.balance.Balancers;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointSet;
import io.sluice.config.CircuitBreakerConfig;
import io.sluice.config.EndpointConfig;
import io.sluice.config.StickyConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.metrics.MeteredUpstream;
import io.sluice.metrics.MirrorStats;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.state.RedisStore;
import io.sluice.upstream.health.PassiveFailureTracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * A named group of endpoints with the policy for choosing among them. Built from one
 * {@link UpstreamConfig}; a reload builds new ones, reusing the endpoints whose address stays so their
 * health, counters and pooled connections carry over.
 */
public final class Upstream implements MeteredUpstream {
    private final UpstreamConfig config;
    private final List<Endpoint> endpoints;
    private final EndpointSet endpointSet;
    private final Balancer balancer;
    private final ProxyMetrics proxyMetrics;
    private final UpstreamConnector connector;
    private final ProxyMetrics.RequestMetrics[] metrics;
    private final PassiveFailureTracker passive;
    /** Null without {@code retry:}. */
    private final RetryBudget retryBudget;
    private final Runnable countRetry;
    /** Null without {@code circuit_breaker:}. */
    private final CircuitBreaker breaker;
    /** Null without {@code sticky:}. */
    private final StickySessions sticky;
    /** Copies of requests that routes mirror to this upstream; carried over by a reload. */
    private final MirrorStats mirrorStats;
    /** The forward proxy's checks for an upstream whose endpoint a client named; null for configured upstreams. */
    private final DestinationGuard guard;

    /**
     * @param previous endpoints of the same upstream in the configuration being replaced, by address;
     *                 empty on first start
     */
    private final ProxyMetrics.RequestMetrics localReplies;

    public Upstream(UpstreamConfig config, UpstreamConnector connector, ProxyMetrics proxyMetrics,
                    Map<String, Endpoint> previous) {
        this(config, connector, proxyMetrics, previous, null, null, null);
    }

    /** @param guard connects through the forward proxy's checks (null: the endpoint's name is looked up as usual) */
    public Upstream(UpstreamConfig config, UpstreamConnector connector, ProxyMetrics proxyMetrics,
                    Map<String, Endpoint> previous, DestinationGuard guard) {
        this(config, connector, proxyMetrics, previous, guard, null, null);
    }

    /**
     * @param previous endpoints of the same upstream in the configuration being replaced, by address;
     *                 empty on first start
     * @param before   the upstream of the same name being replaced, or null: its circuit breaker, sticky
     *                 bindings and mirror counts carry on when their settings did not change
     * @param redis    the running proxy's {@code redis:} store, asked for at each use (a reload may replace it);
     *                 null without one
     */
    public Upstream(UpstreamConfig config, UpstreamConnector connector, ProxyMetrics proxyMetrics,
                    Map<String, Endpoint> previous, Upstream before, Supplier<RedisStore> redis) {
        this(config, connector, proxyMetrics, previous, null, before, redis);
    }

    private Upstream(UpstreamConfig config, UpstreamConnector connector, ProxyMetrics proxyMetrics,
                     Map<String, Endpoint> previous, DestinationGuard guard, Upstream before,
                     Supplier<RedisStore> redis) {
        this.guard = guard;
        this.config = config;
        this.localReplies = proxyMetrics.requests(config.name(), "");
        this.connector = connector;
        List<Endpoint> list = new ArrayList<>(config.endpoints().size());
        long slowStart = config.slowStart().toNanos();
        // An address that stays keeps its object wherever it now is in the list: its in-flight count, latency,
        // counters, health and pooled connections go on. Its index is a slot, not a position: requests in flight
        // on the upstream it came from still index that one's arrays with it, so a new endpoint takes a slot
        // no endpoint that stays holds.
        java.util.BitSet taken = new java.util.BitSet();
        for (EndpointConfig endpointConfig : config.endpoints()) {
            Endpoint old = previous.get(endpointConfig.address());
            if (old != null) {
                taken.set(old.index());
            }
        }
        for (EndpointConfig endpointConfig : config.endpoints()) {
            Endpoint old = previous.get(endpointConfig.address());
            if (old != null) {
                old.weight(endpointConfig.weight());
                old.slowStart(slowStart, false);
                list.add(old);
            } else {
                int slot = taken.nextClearBit(0);
                taken.set(slot);
                Endpoint fresh = new Endpoint(endpointConfig, slot);
                // A new endpoint of a running upstream ramps up; at first start there is nothing to ramp against.
                fresh.slowStart(slowStart, !previous.isEmpty());
                list.add(fresh);
            }
        }
        this.endpoints = List.copyOf(list);
        this.endpointSet = new EndpointSet(endpoints, config.panicThreshold());
        this.balancer = Balancers.create(config, endpointSet);
        this.metrics = new ProxyMetrics.RequestMetrics[Endpoint.slots(endpoints)];
        for (Endpoint e : endpoints) {
            metrics[e.index()] = proxyMetrics.requests(config.name(), e.address());
        }
        this.passive = new PassiveFailureTracker(config.name(), config.passive(), endpoints);
        this.retryBudget = config.retry() == null ? null : new RetryBudget(config.retry(), System::nanoTime);
        this.countRetry = proxyMetrics.retries(config.name());
        this.proxyMetrics = proxyMetrics;
        CircuitBreakerConfig breakerConfig = config.policies().circuitBreaker();
        if (breakerConfig == null) {
            this.breaker = null;
        } else if (before != null && before.breaker != null && before.breaker.config().equals(breakerConfig)) {
            this.breaker = before.breaker; // its state survives the reload
        } else {
            this.breaker = new CircuitBreaker(breakerConfig, System::nanoTime, before == null ? null : before.breaker);
        }
        StickyConfig stickyConfig = config.policies().sticky();
        this.sticky = stickyConfig == null ? null
                : new StickySessions(stickyConfig, config.name(), endpoints, before == null ? null : before.sticky,
                        redis);
        this.mirrorStats = before == null ? new MirrorStats() : before.mirrorStats;
    }

    /** Whether its discovery's ZooKeeper session is up; null without discovery. Set once, after construction. */
    private volatile java.util.function.BooleanSupplier discoveryConnected;

    public void discoveryConnected(java.util.function.BooleanSupplier connected) {
        this.discoveryConnected = connected;
    }

    /** True or false with {@code discovery:} (whether ZooKeeper is reached now), null without it. */
    public Boolean discoveryConnected() {
        java.util.function.BooleanSupplier c = discoveryConnected;
        return c == null ? null : c.getAsBoolean();
    }

    /** For tests and tools: an upstream with fresh endpoints and no metrics. */
    public Upstream(UpstreamConfig config) {
        this(config, null, new ProxyMetrics(), Map.of());
    }

    @Override
    public String name() {
        return config.name();
    }

    public UpstreamConfig config() {
        return config;
    }

    @Override
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public Balancer balancer() {
        return balancer;
    }

    @Override
    public boolean healthChecked() {
        return config.healthCheck() != null;
    }

    @Override
    public int idleConnections(Endpoint endpoint) {
        return connector == null ? 0 : connector.pools().idle(endpoint);
    }

    /** The forward proxy's connect checks, or null. */
    public DestinationGuard guard() {
        return guard;
    }

    public UpstreamConnector connector() {
        return connector;
    }

    /** The recorder of the proxy's own answers (503, 502, 504, 400...) to requests routed here. */
    public ProxyMetrics.RequestMetrics localReplies() {
        return localReplies;
    }

    /** The request recorder of {@code endpoint} (one of {@link #endpoints()}). */
    public ProxyMetrics.RequestMetrics metrics(Endpoint endpoint) {
        return metrics[endpoint.index()];
    }

    /** This upstream was replaced by a reload: its balancer stops following endpoints that live on. */
    public void retire() {
        endpointSet.close();
    }

    /** The balancers currently use every endpoint as if healthy ({@code panic_threshold}). */
    public boolean panicking() {
        return endpointSet.panicking();
    }

    /** The endpoint of this upstream with {@code address} as configured, or null. */
    public Endpoint endpoint(String address) {
        for (Endpoint e : endpoints) {
            if (e.address().equals(address)) {
                return e;
            }
        }
        return null;
    }

    void passiveFailure(Endpoint endpoint, ScheduledExecutorService timer) {
        if (passive.failure(endpoint, timer)) {
            proxyMetrics.passiveEjection(config.name(), endpoint.address());
        }
    }

    /** A tcp listener could not connect to {@code endpoint}: a passive failure (as a refused HTTP attempt is). */
    public void connectFailed(Endpoint endpoint, ScheduledExecutorService timer) {
        passiveFailure(endpoint, timer);
    }

    /** A tcp listener connected to {@code endpoint}: a passive success, which ends its run of failures. */
    public void connected(Endpoint endpoint) {
        passive.success(endpoint);
    }

    /** A response head arrived from {@code endpoint}: a success, or a failure when {@code passive.on_status} lists it. */
    void responseStatus(Endpoint endpoint, int status, ScheduledExecutorService timer) {
        if (passive.isFailureStatus(status)) {
            passiveFailure(endpoint, timer);
        } else {
            passive.success(endpoint);
        }
    }

    /** A client request is forwarded to this upstream (the retry budget counts it). */
    void requestStarted() {
        if (retryBudget != null) {
            retryBudget.request();
        }
    }

    /**
     * The endpoint for an attempt of {@code request}: the one its sticky session is bound to while that
     * is in service, else the balancer's pick; null when none is in service.
     */
    public Endpoint pick(io.sluice.balance.PickContext request) {
        return pick(request, null);
    }

    /**
     * As {@link #pick(io.sluice.balance.PickContext)}, with the binding {@code sticky.store: redis} found for the
     * request before its first pick ({@link StickySessions#lookUp}; null: none).
     */
    Endpoint pick(io.sluice.balance.PickContext request, Endpoint sharedBinding) {
        if (sticky != null) {
            Endpoint bound = sticky.endpointFor(request, sharedBinding);
            if (bound != null) {
                return bound;
            }
        }
        return balancer.pick(request);
    }

    /** What happened to the requests routes mirrored to this upstream. */
    @Override
    public MirrorStats mirrorStats() {
        return mirrorStats;
    }

    /** Sticky sessions, or null without {@code sticky:}. */
    public StickySessions sticky() {
        return sticky;
    }

    /** A response head from {@code endpoint}: sticky sessions set or learn their cookie ({@code secure}: https). */
    void stickyResponse(io.netty.handler.codec.http.HttpHeaders response, Endpoint endpoint,
                        io.sluice.balance.PickContext request, boolean secure) {
        if (sticky != null) {
            sticky.onResponse(response, endpoint, request, secure);
        }
    }

    /** The circuit breaker, or null without {@code circuit_breaker:}. */
    @Override
    public CircuitBreaker breaker() {
        return breaker;
    }

    /**
     * Whether a request may go to this upstream now: {@link CircuitBreaker#PASSED} (always, without a
     * breaker), a trial's ticket ({@link CircuitBreaker#isTrial}) or {@link CircuitBreaker#REFUSED}.
     */
    int admit() {
        return breaker == null ? CircuitBreaker.PASSED : breaker.admit();
    }

    /** An attempt failed in a way the breaker may count; {@code admitted}: as for {@link #attemptAnswered}. */
    void attemptFailed(UpstreamFailure failure, int admitted) {
        if (breaker != null) {
            String condition = failure == UpstreamFailure.MALFORMED ? "reset" : failure.retryCondition();
            breaker.record(breaker.config().on().contains(condition), admitted);
        }
    }

    /** A trial request ends without an outcome: the breaker lets another one of its round try. */
    void trialAbandoned(int ticket) {
        if (breaker != null) {
            breaker.trialAbandoned(ticket);
        }
    }

    /**
     * A response head came; {@code admitted}: the trial's ticket for the first outcome of a trial request, else
     * {@link CircuitBreaker#PASSED}.
     */
    void attemptAnswered(int status, int admitted) {
        if (breaker != null) {
            breaker.record(breaker.config().failureStatus(status), admitted);
        }
    }

    /** Takes a retry from the budget and counts it; false when the budget is spent. */
    boolean tryRetry() {
        if (retryBudget == null || !retryBudget.tryRetry()) {
            return false;
        }
        countRetry.run();
        return true;
    }
}
