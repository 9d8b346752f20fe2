package io.sluice.upstream;

import io.sluice.balance.Balancer;
import io.sluice.balance.Balancers;
import io.sluice.balance.Endpoint;
import io.sluice.config.UpstreamConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * A named group of endpoints with the policy for choosing among them. Built from one
 * {@link UpstreamConfig}; a reload builds new ones.
 */
public final class Upstream {
    private final UpstreamConfig config;
    private final List<Endpoint> endpoints;
    private final Balancer balancer;

    public Upstream(UpstreamConfig config) {
        this.config = config;
        List<Endpoint> list = new ArrayList<>(config.endpoints().size());
        for (int i = 0; i < config.endpoints().size(); i++) {
            list.add(new Endpoint(config.endpoints().get(i), i));
        }
        this.endpoints = List.copyOf(list);
        this.balancer = Balancers.create(config, endpoints);
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
}
