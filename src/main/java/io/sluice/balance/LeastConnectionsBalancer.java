package io.sluice.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code least_connections}: the endpoint in service with the fewest requests in flight per unit of
 * weight ({@code inFlight / weight}, compared by cross-multiplication, no division). Ties are taken in
 * turn: each pick starts its scan one endpoint further along the list and keeps the first of the
 * lowest, so equally loaded endpoints share the traffic instead of the first one taking it all. Pick it
 * when request costs vary (long polls, slow queries, tcp connections): it follows the endpoints' real
 * load, which the proxy core reports through {@link Endpoint#requestStarted()} and
 * {@link Endpoint#requestFinished()}.
 *
 * <p>Worked sequence, a, b, c of weight 1 starting with 2, 0, 0 in flight, each pick followed by
 * {@code requestStarted()} and nothing finishing:
 * <pre>
 * scan order   in flight (a b c)   pick
 *  a b c         2 0 0              b    b and c tie; b comes first from a
 *  b c a         2 1 0              c
 *  c a b         2 1 1              c    c and b tie; c comes first from c
 *  a b c         2 1 2              b
 *  b c a         2 2 2              b    all tie; b comes first from b
 *  c a b         2 3 2              c
 * </pre>
 * so b c c b b c. Weights scale the counts: a of weight 2 with 2 in flight ties with b of weight 1 with 1.
 */
public final class LeastConnectionsBalancer implements Balancer {
    private final SnapshotCache<Endpoint[]> snapshots;
    private final AtomicLong rotation = new AtomicLong();

    public LeastConnectionsBalancer(List<Endpoint> endpoints) {
        this(new EndpointSet(endpoints));
    }

    public LeastConnectionsBalancer(EndpointSet endpoints) {
        this.snapshots = new SnapshotCache<>(endpoints, all -> SnapshotCache.inService(all, true));
    }

    @Override
    public Endpoint pick(PickContext context) {
        Endpoint[] endpoints = snapshots.get();
        int n = endpoints.length;
        if (n == 0) {
            return null;
        }
        int start = (int) Math.floorMod(rotation.getAndIncrement(), (long) n);
        Endpoint best = least(endpoints, start, context, true);
        return best != null ? best : least(endpoints, start, context, false);
    }

    /** The first least loaded endpoint scanning from {@code start}; null if all were tried and {@code untriedOnly}. */
    private static Endpoint least(Endpoint[] endpoints, int start, PickContext context, boolean untriedOnly) {
        int n = endpoints.length;
        Endpoint best = null;
        long bestLoad = 0;
        long bestWeight = 1;
        for (int i = 0, j = start; i < n; i++, j = j + 1 == n ? 0 : j + 1) {
            Endpoint e = endpoints[j];
            if (untriedOnly && context.tried(e)) {
                continue;
            }
            long load = e.inFlight();
            long weight = Math.max(1, e.effectiveWeight()); // live: 0 only until the rebuild this change triggers
            if (best == null || load * bestWeight < bestLoad * weight) {
                best = e;
                bestLoad = load;
                bestWeight = weight;
            }
        }
        return best;
    }
}
