package io.sluice.balance;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One full period of a deterministic weighted rotation, precomputed: {@code order[k]} is the index of the
 * endpoint picked at step k. Smooth (nginx) and interleaved (LVS) weighted round robin both repeat
 * after sum(weight / gcd) picks, so replaying the period with a shared atomic counter gives exactly their
 * sequence with one {@code getAndIncrement} per pick: no lock, no per-pick arithmetic on shared weights.
 * Building costs O(period × endpoints), so it is bounded by {@link #MAX_WORK}; above it the balancers
 * step the algorithm live instead.
 */
final class Schedule {
    /** Upper bound on period × endpoints (and so on the period): 2^22 steps, a few milliseconds. */
    static final long MAX_WORK = 1L << 22;

    private final Endpoint[] endpoints;
    private final int[] order;

    Schedule(Endpoint[] endpoints, int[] order) {
        this.endpoints = endpoints;
        this.order = order;
    }

    /** The picks of one period: sum of weights / gcd of weights. */
    static long period(int[] weights) {
        int g = gcd(weights);
        long period = 0;
        for (int w : weights) {
            period += w / g;
        }
        return period;
    }

    static boolean fits(int[] weights, long maxWork) {
        return period(weights) * weights.length <= maxWork;
    }

    static int gcd(int[] weights) {
        int g = 0;
        for (int w : weights) {
            int a = g;
            int b = w;
            while (b != 0) {
                int t = a % b;
                a = b;
                b = t;
            }
            g = a;
        }
        return g;
    }

    static int maxOf(int[] weights) {
        int max = 0;
        for (int w : weights) {
            max = Math.max(max, w);
        }
        return max;
    }

    /** The effective weights (scaled, see {@link Endpoint#effectiveWeight()}): what the rotations use. */
    static int[] effectiveWeightsOf(Endpoint[] endpoints) {
        int[] weights = new int[endpoints.length];
        for (int i = 0; i < endpoints.length; i++) {
            weights[i] = endpoints[i].effectiveWeight();
        }
        return weights;
    }

    /** The configured weights: consistent_hash sizes its ring by them, so slow start does not move keys. */
    static int[] weightsOf(Endpoint[] endpoints) {
        int[] weights = new int[endpoints.length];
        for (int i = 0; i < endpoints.length; i++) {
            weights[i] = endpoints[i].weight();
        }
        return weights;
    }

    /**
     * The endpoint for the next step of {@code turn}; when it was tried, the next untried one later in
     * the period (the turn itself is consumed only once).
     */
    Endpoint pick(AtomicLong turn, PickContext context) {
        int n = order.length;
        int k = (int) Math.floorMod(turn.getAndIncrement(), (long) n);
        Endpoint e = endpoints[order[k]];
        if (!context.tried(e)) {
            return e;
        }
        for (int i = 1, j = k; i < n; i++) {
            j = j + 1 == n ? 0 : j + 1;
            Endpoint candidate = endpoints[order[j]];
            if (!context.tried(candidate)) {
                return candidate;
            }
        }
        return e;
    }
}
