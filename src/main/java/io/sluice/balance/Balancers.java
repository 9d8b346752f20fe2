package io.sluice.balance;

import io.sluice.config.UpstreamConfig;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.LinkedHashMap;
import java.util.Map;

/** The balancers by their configuration name. */
public final class Balancers {

    private static final Map<String, BiFunction<UpstreamConfig, List<Endpoint>, Balancer>> FACTORIES =
            new LinkedHashMap<>();

    static {
        FACTORIES.put("round_robin", (config, endpoints) -> new RoundRobinBalancer(endpoints));
    }

    private Balancers() {
    }

    /** Every name {@code balancer:} accepts. */
    public static Set<String> names() {
        return FACTORIES.keySet();
    }

    /** A new balancer over {@code endpoints} for {@code config} (whose balancer name is one of {@link #names()}). */
    public static Balancer create(UpstreamConfig config, List<Endpoint> endpoints) {
        var factory = FACTORIES.get(config.balancer());
        if (factory == null) {
            throw new IllegalArgumentException("unknown balancer: " + config.balancer() + " (expected one of " + names() + ")");
        }
        return factory.apply(config, endpoints);
    }
}
