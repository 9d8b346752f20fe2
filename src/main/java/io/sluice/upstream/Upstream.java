package io.sluice.upstream;

import io.netty.util.concurrent.EventExecutor;
import io.sluice.balance.Balancer;
import io.sluice.balance.Balancers;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointSet;
import io.sluice.config.EndpointConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.metrics.ProxyMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A named group of endpoints with the policy for choosing among them. Built from one
 * {@link UpstreamConfig}; a reload builds new ones, reusing the endpoints whose address stays so their
 * health, counters and pooled connections carry over.
 */
public final class Upstream {
    private final UpstreamConfig config;
    private final List<Endpoint> endpoints;
    private final EndpointSet endpointSet;
    private final Balancer balancer;
    private final UpstreamConnector connector;
    private final ProxyMetrics.RequestMetrics[] metrics;
    private final PassiveHealth passive;

    /**
     * @param previous endpoints of the same upstream in the configuration being replaced, by address;
     *                 empty on first start
     */
    public Upstream(UpstreamConfig config, UpstreamConnector connector, ProxyMetrics proxyMetrics,
                    Map<String, Endpoint> previous) {
        this.config = config;
        this.connector = connector;
        List<Endpoint> list = new ArrayList<>(config.endpoints().size());
        for (int i = 0; i < config.endpoints().size(); i++) {
            EndpointConfig endpointConfig = config.endpoints().get(i);
            Endpoint old = previous.get(endpointConfig.address());
            if (old != null && old.index() == i) {
                old.weight(endpointConfig.weight());
                list.add(old);
            } else {
                list.add(new Endpoint(endpointConfig, i));
            }
        }
        this.endpoints = List.copyOf(list);
        this.endpointSet = new EndpointSet(endpoints);
        this.balancer = Balancers.create(config, endpointSet);
        this.metrics = new ProxyMetrics.RequestMetrics[endpoints.size()];
        for (int i = 0; i < metrics.length; i++) {
            metrics[i] = proxyMetrics.requests(config.name(), endpoints.get(i).address());
        }
        this.passive = new PassiveHealth(config.passive(), endpoints, new PassiveHealth.Events() {
            @Override
            public void ejected(Endpoint endpoint) {
                proxyMetrics.passiveEjection(config.name(), endpoint.address());
                proxyMetrics.healthChange(config.name(), endpoint.address(), "unhealthy");
            }

            @Override
            public void restored(Endpoint endpoint) {
                proxyMetrics.healthChange(config.name(), endpoint.address(), "healthy");
            }
        });
    }

    /** For tests and tools: an upstream with fresh endpoints and no metrics. */
    public Upstream(UpstreamConfig config) {
        this(config, null, new ProxyMetrics(), Map.of());
    }

    public String name() {
        return config.name();
    }

    public UpstreamConfig config() {
        return config;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public Balancer balancer() {
        return balancer;
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

    void passiveFailure(Endpoint endpoint, EventExecutor timer) {
        passive.failure(endpoint, timer);
    }

    void passiveSuccess(Endpoint endpoint) {
        passive.success(endpoint);
    }
}
