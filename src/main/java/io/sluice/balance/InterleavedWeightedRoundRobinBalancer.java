package io.sluice.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code lvs_weighted_round_robin}: interleaved weighted round robin as Linux IPVS does it
 * ({@code ip_vs_wrr.c}): a current weight {@code cw} starts at the largest weight and drops by the gcd of
 * the weights each time the scan wraps; the scan takes, in list order, every endpoint whose weight is at
 * least {@code cw}. Pick it to reproduce an LVS setup; otherwise prefer {@code weighted_round_robin},
 * which spreads the heavy endpoints more evenly (here the lightest ones all come at the end of a period).
 *
 * <p>Worked sequence, weights a=4, b=3, c=2 (gcd 1, max 4):
 * <pre>
 * cw=4: a        cw=3: a b        cw=2: a b c        cw=1: a b c
 * </pre>
 * so a a b a b c a b c, then again (period sum / gcd = 9). Endpoints out of service (or of weight 0) are
 * left out.
 *
 * <p>The rotation starts with the first endpoint listed and keeps its position when an endpoint goes out,
 * comes back or changes weight (it does not restart at the first one: a flapping endpoint would skew
 * traffic toward the top of the list); after such a change the order above holds, entered mid-way.
 *
 * <p>Thread-safety: the snapshot precomputes one period ({@link Schedule}) and a pick is one
 * {@code getAndIncrement}. When the period is too long to precompute, the scan position and {@code cw}
 * are packed into one {@code long} and advanced by compare-and-set: still no lock.
 */
public final class InterleavedWeightedRoundRobinBalancer implements Balancer {
    private final SnapshotCache<Snapshot> snapshots;
    private final AtomicLong turn = new AtomicLong();

    /** Precomputed period, or (when too long) the live LVS state: position i and cw packed in one long. */
    private record Snapshot(Endpoint[] endpoints, Schedule schedule, int[] weights, int gcd, int max,
                            AtomicLong state) {
        static Snapshot of(List<Endpoint> all, long maxWork) {
            Endpoint[] endpoints = SnapshotCache.inService(all, true);
            int[] weights = Schedule.effectiveWeightsOf(endpoints);
            int gcd = Math.max(1, Schedule.gcd(weights));
            int max = Schedule.maxOf(weights);
            // Start just before position 0 with cw 0: the first step wraps and sets cw to max.
            AtomicLong state = new AtomicLong(pack(endpoints.length - 1, 0));
            if (Schedule.fits(weights, maxWork)) {
                int[] order = new int[(int) Schedule.period(weights)];
                long s = state.get();
                for (int k = 0; k < order.length; k++) {
                    s = step(weights, gcd, max, s);
                    order[k] = position(s);
                }
                return new Snapshot(endpoints, new Schedule(endpoints, order), weights, gcd, max, null);
            }
            return new Snapshot(endpoints, null, weights, gcd, max, state);
        }
    }

    public InterleavedWeightedRoundRobinBalancer(List<Endpoint> endpoints) {
        this(new EndpointSet(endpoints));
    }

    public InterleavedWeightedRoundRobinBalancer(EndpointSet endpoints) {
        this(endpoints, Schedule.MAX_WORK);
    }

    /** {@code maxWork}: see {@link Schedule#MAX_WORK}; 0 forces the live compare-and-set algorithm. */
    InterleavedWeightedRoundRobinBalancer(EndpointSet endpoints, long maxWork) {
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
        long old;
        long next;
        do {
            old = s.state.get();
            next = step(s.weights, s.gcd, s.max, old);
        } while (!s.state.compareAndSet(old, next));
        int i = position(next);
        Endpoint e = s.endpoints[i];
        return context.tried(e) ? SnapshotCache.untriedFrom(s.endpoints, i, context) : e;
    }

    /** One LVS step from packed state (i, cw) to the next endpoint taken, packed the same way. */
    private static long step(int[] weights, int gcd, int max, long state) {
        int n = weights.length;
        int i = position(state);
        int cw = (int) state;
        while (true) {
            i = i + 1 == n ? 0 : i + 1;
            if (i == 0) {
                cw -= gcd;
                if (cw <= 0) {
                    cw = max;
                }
            }
            if (weights[i] >= cw) {
                return pack(i, cw);
            }
        }
    }

    private static long pack(int i, int cw) {
        return ((long) i << 32) | (cw & 0xFFFF_FFFFL);
    }

    private static int position(long state) {
        return (int) (state >>> 32);
    }
}
