package io.sluice.balance;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * {@code power_of_two_choices}: draws two distinct endpoints in service at random and takes the one with
 * fewer requests in flight (the one listed first on a tie); weights are ignored. Pick it for large
 * upstreams or several proxies sharing endpoints: it avoids the herd behaviour of a global
 * least-connections choice (every proxy sending to the same idle endpoint) and costs O(1) per pick,
 * while staying close to least-connections in balance (Mitzenmacher, "The Power of Two Choices").
 *
 * <p>Worked sequence, a, b, c with 3, 1, 0 in flight and a generator giving the pairs (a, b), (c, a),
 * (b, c) (draws {@code nextInt(3)}, {@code nextInt(2)}: 0,0; 2,0; 1,1): b c c. With one endpoint in
 * service it is picked without a draw. When one of the two was already tried by this request the other
 * wins; when both were, the untried endpoint with the fewest in flight is taken.
 */
public final class PowerOfTwoChoicesBalancer implements Balancer {
    private final SnapshotCache<Endpoint[]> snapshots;
    private final RandomGenerator random;

    public PowerOfTwoChoicesBalancer(List<Endpoint> endpoints) {
        this(new EndpointSet(endpoints), ThreadLocalRandomGenerator.INSTANCE);
    }

    /** @param random used from every event loop at once: thread-safe, or confined to one thread in tests */
    public PowerOfTwoChoicesBalancer(EndpointSet endpoints, RandomGenerator random) {
        this.snapshots = new SnapshotCache<>(endpoints, all -> SnapshotCache.inService(all, false));
        this.random = random;
    }

    @Override
    public Endpoint pick(PickContext context) {
        Endpoint[] endpoints = snapshots.get();
        int n = endpoints.length;
        if (n <= 1) {
            return n == 0 ? null : endpoints[0];
        }
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
            j++; // distinct from i, still uniform
        }
        Endpoint a = endpoints[Math.min(i, j)]; // a is listed first: it wins ties
        Endpoint b = endpoints[Math.max(i, j)];
        boolean aTried = context.tried(a);
        boolean bTried = context.tried(b);
        if (aTried != bTried) {
            return aTried ? b : a;
        }
        if (aTried) {
            Endpoint untried = leastUntried(endpoints, context);
            if (untried != null) {
                return untried;
            }
        }
        return b.inFlight() < a.inFlight() ? b : a;
    }

    private static Endpoint leastUntried(Endpoint[] endpoints, PickContext context) {
        Endpoint best = null;
        for (Endpoint e : endpoints) {
            if (!context.tried(e) && (best == null || e.inFlight() < best.inFlight())) {
                best = e;
            }
        }
        return best;
    }
}
