package io.sluice.balance;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * {@code random}: uniform among the endpoints in service, weights ignored. Pick it for many proxies in
 * front of the same endpoints, where a shared rotation would not exist anyway and random keeps them
 * from moving in lockstep; it needs no shared mutable state at all.
 *
 * <p>Worked sequence, endpoints a, b, c and a generator whose {@code nextInt(3)} returns 2, 0, 0, 1:
 * c a a b. An endpoint already tried by this request is replaced by the next untried one after it in
 * configuration order (wrapping).
 */
public final class RandomBalancer implements Balancer {
    private final SnapshotCache<Endpoint[]> snapshots;
    private final RandomGenerator random;

    public RandomBalancer(List<Endpoint> endpoints) {
        this(new EndpointSet(endpoints), ThreadLocalRandomGenerator.INSTANCE);
    }

    /** @param random used from every event loop at once: thread-safe, or confined to one thread in tests */
    public RandomBalancer(EndpointSet endpoints, RandomGenerator random) {
        this.snapshots = new SnapshotCache<>(endpoints, all -> SnapshotCache.inService(all, false));
        this.random = random;
    }

    @Override
    public Endpoint pick(PickContext context) {
        Endpoint[] endpoints = snapshots.get();
        int n = endpoints.length;
        if (n == 0) {
            return null;
        }
        int i = n == 1 ? 0 : random.nextInt(n);
        Endpoint e = endpoints[i];
        return context.tried(e) ? SnapshotCache.untriedFrom(endpoints, i, context) : e;
    }
}
