package io.sluice.balance;

import io.sluice.config.UpstreamConfig;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The balancers by their configuration name, one final class per algorithm. Production randomness is the
 * calling thread's {@link java.util.concurrent.ThreadLocalRandom} and time is {@link System#nanoTime()};
 * tests build the classes directly with a seeded generator and a fake clock.
 */
public final class Balancers {

    private static final Map<String, BiFunction<UpstreamConfig, EndpointSet, Balancer>> FACTORIES =
            new LinkedHashMap<>();

    static {
        FACTORIES.put("random", (config, endpoints) -> new RandomBalancer(endpoints, ThreadLocalRandomGenerator.INSTANCE));
        FACTORIES.put("weighted_random", (config, endpoints) -> new WeightedRandomBalancer(endpoints, ThreadLocalRandomGenerator.INSTANCE));
        FACTORIES.put("round_robin", (config, endpoints) -> new RoundRobinBalancer(endpoints));
        FACTORIES.put("weighted_round_robin", (config, endpoints) -> new SmoothWeightedRoundRobinBalancer(endpoints));
        FACTORIES.put("lvs_weighted_round_robin",
                (config, endpoints) -> new InterleavedWeightedRoundRobinBalancer(endpoints));
        FACTORIES.put("least_connections", (config, endpoints) -> new LeastConnectionsBalancer(endpoints));
        FACTORIES.put("power_of_two_choices", (config, endpoints) -> new PowerOfTwoChoicesBalancer(endpoints, ThreadLocalRandomGenerator.INSTANCE));
        FACTORIES.put("consistent_hash", (config, endpoints) -> new ConsistentHashBalancer(endpoints,
                config.hashOn() == null ? HashKey.SOURCE_IP : HashKey.parse(config.hashOn()),
                config.virtualNodes() > 0 ? config.virtualNodes() : UpstreamConfig.DEFAULT_VIRTUAL_NODES,
                config.hashBalanceFactor()));
        FACTORIES.put("peak_ewma", (config, endpoints) -> new PeakEwmaBalancer(endpoints, ThreadLocalRandomGenerator.INSTANCE, System::nanoTime));
    }

    private Balancers() {
    }

    /** Every name {@code balancer:} accepts. */
    public static Set<String> names() {
        return FACTORIES.keySet();
    }

    /**
     * A new balancer over {@code endpoints} for {@code config} (whose balancer name is one of {@link #names()}).
     * For {@code consistent_hash}, a missing {@code hash_on} means {@code source_ip} and a bad one throws
     * {@link IllegalArgumentException} (validate it earlier with {@link HashKey#parse}).
     */
    public static Balancer create(UpstreamConfig config, List<Endpoint> endpoints) {
        return create(config, new EndpointSet(endpoints));
    }

    /**
     * A new balancer over {@code endpoints}; closing the set (when the upstream is replaced by a reload)
     * detaches the balancer from endpoints that live on in the next configuration.
     */
    public static Balancer create(UpstreamConfig config, EndpointSet endpoints) {
        var factory = FACTORIES.get(config.balancer());
        if (factory == null) {
            throw new IllegalArgumentException("unknown balancer: " + config.balancer() + " (expected one of " + names() + ")");
        }
        return factory.apply(config, endpoints);
    }
}
