package io.sluice.upstream;

import io.sluice.balance.Balancer;
import io.sluice.balance.Balancers;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointSet;
import io.sluice.config.EndpointConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.metrics.MeteredUpstream;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.upstream.health.PassiveFailureTracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

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
    /** The forward proxy's checks for an upstream whose endpoint a client named; null for configured upstreams. */
    private final DestinationGuard guard;

    /**
     * @param previous endpoints of the same upstream in the configuration being replaced, by address;
     *                 empty on first start
     */
    public Upstream(UpstreamConfig config, UpstreamConnector connector, ProxyMetrics proxyMetrics,
                    Map<String, Endpoint> previous) {
        this(config, connector, proxyMetrics, previous, null);
    }

    /** @param guard connects through the forward proxy's checks (null: the endpoint's name is looked up as usual) */
    public Upstream(UpstreamConfig config, UpstreamConnector connector, ProxyMetrics proxyMetrics,
                    Map<String, Endpoint> previous, DestinationGuard guard) {
        this.guard = guard;
        this.config = config;
        this.connector = connector;
        List<Endpoint> list = new ArrayList<>(config.endpoints().size());
        long slowStart = config.slowStart().toNanos();
        for (int i = 0; i < config.endpoints().size(); i++) {
            EndpointConfig endpointConfig = config.endpoints().get(i);
            Endpoint old = previous.get(endpointConfig.address());
            if (old != null && old.index() == i) {
                old.weight(endpointConfig.weight());
                old.slowStart(slowStart, false);
                list.add(old);
            } else {
                Endpoint fresh = new Endpoint(endpointConfig, i);
                if (old != null) {
                    fresh.inheritHealth(old); // moved in the list: a new object (index is its key), same health
                }
                // A new endpoint of a running upstream ramps up; at first start there is nothing to ramp against.
                fresh.slowStart(slowStart, old == null && !previous.isEmpty());
                list.add(fresh);
            }
        }
        this.endpoints = List.copyOf(list);
        this.endpointSet = new EndpointSet(endpoints, config.panicThreshold());
        this.balancer = Balancers.create(config, endpointSet);
        this.metrics = new ProxyMetrics.RequestMetrics[endpoints.size()];
        for (int i = 0; i < metrics.length; i++) {
            metrics[i] = proxyMetrics.requests(config.name(), endpoints.get(i).address());
        }
        this.passive = new PassiveFailureTracker(config.name(), config.passive(), endpoints);
        this.retryBudget = config.retry() == null ? null : new RetryBudget(config.retry(), System::nanoTime);
        this.countRetry = proxyMetrics.retries(config.name());
        this.proxyMetrics = proxyMetrics;
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

    /** Takes a retry from the budget and counts it; false when the budget is spent. */
    boolean tryRetry() {
        if (retryBudget == null || !retryBudget.tryRetry()) {
            return false;
        }
        countRetry.run();
        return true;
    }
}
