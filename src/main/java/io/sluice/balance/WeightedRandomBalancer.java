package io.sluice.balance;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * {@code weighted_random}: random in proportion to weight among the endpoints in service (weight 0 takes
 * nothing). Pick it over {@code weighted_round_robin} when several proxies share the endpoints and
 * should not synchronise, or when an exact rotation does not matter.
 *
 * <p>Worked sequence, weights a=3, b=1 (cumulative 3, 4) and a generator whose {@code nextLong(4)}
 * returns 0, 3, 2, 1: a b a a — a draw r goes to the first endpoint whose cumulative weight exceeds r
 * (binary search). When the drawn endpoint was already tried by this request, a second draw is made in
 * proportion to the weights of the untried ones.
 */
public final class WeightedRandomBalancer implements Balancer {
    private final SnapshotCache<Snapshot> snapshots;
    private final RandomGenerator random;

    /** The endpoints in service with weight >= 1 and their running weight sums. */
    private record Snapshot(Endpoint[] endpoints, long[] cumulative, long total) {
        static Snapshot of(List<Endpoint> all) {
            Endpoint[] endpoints = SnapshotCache.inService(all, true);
            long[] cumulative = new long[endpoints.length];
            long total = 0;
            int[] weights = Schedule.effectiveWeightsOf(endpoints);
            int g = Math.max(1, Schedule.gcd(weights)); // the same odds in the smallest numbers
            for (int i = 0; i < endpoints.length; i++) {
                total += weights[i] / g;
                cumulative[i] = total;
            }
            return new Snapshot(endpoints, cumulative, total);
        }

        /** The weight endpoints[i] had when the snapshot was built. */
        long weight(int i) {
            return i == 0 ? cumulative[0] : cumulative[i] - cumulative[i - 1];
        }
    }

    public WeightedRandomBalancer(List<Endpoint> endpoints) {
        this(new EndpointSet(endpoints), ThreadLocalRandomGenerator.INSTANCE);
    }

    /** @param random used from every event loop at once: thread-safe, or confined to one thread in tests */
    public WeightedRandomBalancer(EndpointSet endpoints, RandomGenerator random) {
        this.snapshots = new SnapshotCache<>(endpoints, Snapshot::of);
        this.random = random;
    }

    @Override
    public Endpoint pick(PickContext context) {
        Snapshot s = snapshots.get();
        Endpoint[] endpoints = s.endpoints;
        if (endpoints.length == 0) {
            return null;
        }
        int i = Arrays.binarySearch(s.cumulative, random.nextLong(s.total) + 1);
        Endpoint e = endpoints[i >= 0 ? i : -i - 1];
        return context.tried(e) ? pickUntried(s, e, context) : e;
    }

    private Endpoint pickUntried(Snapshot s, Endpoint drawn, PickContext context) {
        long untried = 0;
        for (int i = 0; i < s.endpoints.length; i++) {
            if (!context.tried(s.endpoints[i])) {
                untried += s.weight(i);
            }
        }
        if (untried == 0) {
            return drawn;
        }
        long r = random.nextLong(untried);
        for (int i = 0; i < s.endpoints.length; i++) {
            if (!context.tried(s.endpoints[i]) && (r -= s.weight(i)) < 0) {
                return s.endpoints[i];
            }
        }
        throw new AssertionError("draw " + r + " beyond untried weight " + untried);
    }
}
