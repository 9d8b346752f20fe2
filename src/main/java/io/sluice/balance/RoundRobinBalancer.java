package io.sluice.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code round_robin}: each endpoint in service in turn, weights ignored, starting with the first endpoint
 * listed. Pick it when the endpoints are alike and requests cost about the same; it is the cheapest
 * balancer and spreads load exactly evenly over time.
 *
 * <p>Worked sequence, endpoints a, b, c: a b c a b c. With b out of service: a c a c. When the endpoint
 * whose turn it is was already tried by this request, the next one in the rotation is taken instead
 * (without consuming another turn).
 *
 * <p>The rotation starts with the first endpoint listed and keeps its position when an endpoint goes out,
 * comes back or changes weight (it does not restart at the first one: a flapping endpoint would skew
 * traffic toward the top of the list); after such a change the order above holds, entered mid-way.
 *
 * <p>Thread-safety: one shared {@link AtomicLong} turn counter; the endpoints in service come from an
 * immutable snapshot rebuilt when an endpoint's state changes.
 */
public final class RoundRobinBalancer implements Balancer {
    private final SnapshotCache<Endpoint[]> snapshots;
    private final AtomicLong next = new AtomicLong();

    public RoundRobinBalancer(List<Endpoint> endpoints) {
        this(new EndpointSet(endpoints));
    }

    public RoundRobinBalancer(EndpointSet endpoints) {
        this.snapshots = new SnapshotCache<>(endpoints, all -> SnapshotCache.inService(all, false));
    }

    @Override
    public Endpoint pick(PickContext context) {
        Endpoint[] endpoints = snapshots.get();
        int n = endpoints.length;
        if (n == 0) {
            return null;
        }
        int start = (int) Math.floorMod(next.getAndIncrement(), (long) n);
        Endpoint e = endpoints[start];
        return context.tried(e) ? SnapshotCache.untriedFrom(endpoints, start, context) : e;
    }
}
