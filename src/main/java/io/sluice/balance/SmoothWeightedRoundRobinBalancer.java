package io.sluice.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code weighted_round_robin}: smooth weighted round robin as nginx does it
 * ({@code ngx_http_upstream_get_peer}): on each pick every endpoint's current weight grows by its weight,
 * the endpoint with the largest current weight wins (the first listed on a tie) and its current weight
 * drops by the total. Heavy endpoints are spread through the period instead of coming in a burst. Pick it
 * for endpoints of different capacity behind one proxy; when requests vary a lot in cost,
 * {@code least_connections} adapts better.
 *
 * <p>Worked sequence, weights a=5, b=1, c=1 (total 7):
 * <pre>
 * current before   winner   current after
 *  5  1  1           a       -2  1  1
 *  3  2  2           a       -4  2  2
 *  1  3  3           b        1 -4  3
 *  6 -3  4           a       -1 -3  4
 *  4 -2  5           c        4 -2 -2
 *  9 -1 -1           a        2 -1 -1
 *  7  0  0           a        0  0  0   (back to the start: period 7)
 * </pre>
 * so a a b a c a a, then again. Endpoints out of service (or of weight 0) are left out of the rotation.
 *
 * <p>The rotation starts with the first endpoint listed and keeps its position when an endpoint goes out,
 * comes back or changes weight (it does not restart at the first one: a flapping endpoint would skew
 * traffic toward the top of the list); after such a change the order above holds, entered mid-way.
 *
 * <p>Thread-safety: nginx keeps the current weights per worker process; here the rotation is shared by
 * every event loop, so it must advance atomically. The sequence is periodic (sum of weight / gcd picks),
 * so the snapshot precomputes one period ({@link Schedule}) and a pick is one {@code getAndIncrement}:
 * no lock, exactly nginx's order. Only when the period is too long to precompute (over {@link
 * Schedule#MAX_WORK} steps × endpoints, e.g. dozens of endpoints with weights in the thousands) does a
 * pick step the algorithm live inside a {@code synchronized} block of a few dozen nanoseconds (measured
 * in docs/load-balancing.md as {@code weighted_round_robin(locked)}).
 */
public final class SmoothWeightedRoundRobinBalancer implements Balancer {
    private final SnapshotCache<Snapshot> snapshots;
    private final AtomicLong turn = new AtomicLong();

    /** Precomputed period, or (when too long) the live nginx state; current weights guarded by itself. */
    private record Snapshot(Endpoint[] endpoints, Schedule schedule, int[] weights, long[] current, long total) {
        static Snapshot of(List<Endpoint> all, long maxWork) {
            Endpoint[] endpoints = SnapshotCache.inService(all, true);
            int[] weights = Schedule.effectiveWeightsOf(endpoints);
            if (Schedule.fits(weights, maxWork)) {
                return new Snapshot(endpoints, new Schedule(endpoints, period(weights)), weights, null, 0);
            }
            long total = 0;
            for (int w : weights) {
                total += w;
            }
            return new Snapshot(endpoints, null, weights, new long[endpoints.length], total);
        }

        static int[] period(int[] weights) {
            int g = Math.max(1, Schedule.gcd(weights));
            int[] reduced = new int[weights.length];
            for (int i = 0; i < weights.length; i++) {
                reduced[i] = weights[i] / g; // the same order, scaled down: the period is sum / gcd
            }
            long total = Schedule.period(weights);
            long[] current = new long[weights.length];
            int[] order = new int[(int) total];
            for (int k = 0; k < order.length; k++) {
                order[k] = step(reduced, current, total);
            }
            return order;
        }
    }

    public SmoothWeightedRoundRobinBalancer(List<Endpoint> endpoints) {
        this(new EndpointSet(endpoints));
    }

    public SmoothWeightedRoundRobinBalancer(EndpointSet endpoints) {
        this(endpoints, Schedule.MAX_WORK);
    }

    /** {@code maxWork}: see {@link Schedule#MAX_WORK}; 0 forces the live, locked algorithm (tests, benchmark). */
    SmoothWeightedRoundRobinBalancer(EndpointSet endpoints, long maxWork) {
        this.snapshots = new SnapshotCache<>(endpoints, all -> Snapshot.of(all, maxWork));
    }

    @Override
    public Endpoint pick(PickContext context) {
        Snapshot s = snapshots.get();
        if (s.endpoints.length == 0) {
            return null;
        }
        if (s.schedule != null) {
            return s.schedule.pick(turn, context);
        }
        int i;
        synchronized (s.current) {
            i = step(s.weights, s.current, s.total);
        }
        Endpoint e = s.endpoints[i];
        return context.tried(e) ? SnapshotCache.untriedFrom(s.endpoints, i, context) : e;
    }

    /** One nginx step: returns the winner's index and updates {@code current}. */
    private static int step(int[] weights, long[] current, long total) {
        int best = 0;
        for (int i = 0; i < weights.length; i++) {
            current[i] += weights[i];
            if (current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= total;
        return best;
    }
}
