package io.sluice.balance;

import io.sluice.config.EndpointConfig;
import io.sluice.config.UpstreamConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ns per pick for every balancer over 10 endpoints (weights 1 to 4, a few requests in flight, latencies
 * recorded), keys from a pool of 1024 users. Run with {@code bench/jmh BalancerBenchmark -prof gc}.
 * {@code weighted_round_robin(locked)} forces the synchronized fallback used when the period is too long
 * to precompute.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class BalancerBenchmark {

    @Param({"random", "weighted_random", "round_robin", "weighted_round_robin", "weighted_round_robin(locked)",
            "lvs_weighted_round_robin", "least_connections", "power_of_two_choices", "consistent_hash",
            "consistent_hash(bounded)", "peak_ewma"})
    public String balancer;

    @Param("10")
    public int endpoints;

    private Balancer picker;

    @Setup
    public void setUp() {
        List<EndpointConfig> configs = new ArrayList<>();
        List<Endpoint> eps = new ArrayList<>();
        long now = System.nanoTime();
        for (int i = 0; i < endpoints; i++) {
            String host = "10.0.0." + (i + 1);
            EndpointConfig config = new EndpointConfig(host + ":8080", host, 8080, false, i % 4 + 1);
            configs.add(config);
            Endpoint e = new Endpoint(config, i);
            for (int r = 0; r < i % 3; r++) {
                e.requestStarted();
            }
            e.recordLatency((i + 1) * 1_000_000L, now);
            eps.add(e);
        }
        picker = switch (balancer) {
            case "weighted_round_robin(locked)" -> new SmoothWeightedRoundRobinBalancer(new EndpointSet(eps), 0);
            case "consistent_hash(bounded)" -> new ConsistentHashBalancer(eps, HashKey.parse("header:X-User"), 160, 0.25);
            default -> Balancers.create(new UpstreamConfig("bench", balancer, "header:X-User",
                    UpstreamConfig.DEFAULT_VIRTUAL_NODES, 0, null, configs, null, null, null, null), eps);
        };
    }

    /** One thread's requests: 1024 users, cycled; nothing is allocated per pick. */
    @State(Scope.Thread)
    public static class Requests {
        private final Request[] requests = new Request[1024];
        private int next;

        public Requests() {
            for (int i = 0; i < requests.length; i++) {
                requests[i] = new Request("user-" + i);
            }
        }

        Request next() {
            Request r = requests[next];
            next = (next + 1) & (requests.length - 1);
            return r;
        }
    }

    @Benchmark
    public Endpoint pick(Requests requests) {
        return picker.pick(requests.next());
    }

    private static final class Request implements PickContext {
        private final String user;

        Request(String user) {
            this.user = user;
        }

        @Override public String sourceIp() { return "192.0.2.1"; }
        @Override public String uri() { return "/"; }
        @Override public String path() { return "/"; }
        @Override public String header(String name) { return user; }
        @Override public String cookie(String name) { return null; }
        @Override public String queryParam(String name) { return null; }
        @Override public boolean tried(Endpoint endpoint) { return false; }
    }
}
