package io.sluice.balance;

import java.util.List;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * {@code peak_ewma}: power of two choices on latency, as Finagle's and Linkerd's Peak EWMA balancers do:
 * draws two distinct endpoints in service at random and takes the one with the lower cost
 * {@code ewma × (inFlight + 1)}, where {@code ewma} is the endpoint's peak-sensitive moving average of
 * response latency ({@link Endpoint#latencyEwmaNanos}: a slower sample replaces it at once, faster ones
 * pull it down with decay time 10 s, and it decays toward 0 while no samples come). An endpoint without a
 * sample yet costs 0 while idle (so it is tried) and a large penalty while it has a request in flight (so
 * it is not flooded before its first answer). Pick it when endpoints differ in speed or slow down under
 * load (GC pauses, noisy neighbours): it moves traffic away from a slow endpoint within a few requests.
 * The proxy core feeds it with {@link Endpoint#recordLatency(long, long)}; weights are ignored.
 *
 * <p>Worked sequence, a, b, c with latencies 10 ms, 50 ms, 20 ms just recorded, 2, 0, 1 in flight
 * (costs 30, 50, 40 ms) and the pairs (a, b), (b, c), (a, c): a c a. Ties go to the endpoint listed
 * first; the tried rule is that of {@link PowerOfTwoChoicesBalancer}.
 */
public final class PeakEwmaBalancer implements Balancer {
    /** Finagle's penalty for an endpoint with requests in flight and no latency sample: about 39 hours. */
    static final double PENALTY_NANOS = (double) (Long.MAX_VALUE >> 16);

    private final SnapshotCache<Endpoint[]> snapshots;
    private final RandomGenerator random;
    private final LongSupplier nanoTime;

    public PeakEwmaBalancer(List<Endpoint> endpoints) {
        this(new EndpointSet(endpoints), ThreadLocalRandomGenerator.INSTANCE, System::nanoTime);
    }

    /**
     * @param random   used from every event loop at once: thread-safe, or confined to one thread in tests
     * @param nanoTime the clock {@link Endpoint#recordLatency} stamps are taken from
     */
    public PeakEwmaBalancer(EndpointSet endpoints, RandomGenerator random, LongSupplier nanoTime) {
        this.snapshots = new SnapshotCache<>(endpoints, all -> SnapshotCache.inService(all, false));
        this.random = random;
        this.nanoTime = nanoTime;
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
            j++;
        }
        Endpoint a = endpoints[Math.min(i, j)];
        Endpoint b = endpoints[Math.max(i, j)];
        boolean aTried = context.tried(a);
        boolean bTried = context.tried(b);
        if (aTried != bTried) {
            return aTried ? b : a;
        }
        long now = nanoTime.getAsLong();
        if (aTried) {
            Endpoint untried = cheapestUntried(endpoints, context, now);
            if (untried != null) {
                return untried;
            }
        }
        return cost(b, now) < cost(a, now) ? b : a;
    }

    /** The load estimate in nanoseconds: latency times the requests it would queue behind, plus one. */
    static double cost(Endpoint e, long nowNanos) {
        double latency = e.latencyEwmaNanos(nowNanos);
        int inFlight = e.inFlight();
        if (latency == 0 && inFlight > 0) {
            return PENALTY_NANOS + inFlight;
        }
        return latency * (inFlight + 1);
    }

    private static Endpoint cheapestUntried(Endpoint[] endpoints, PickContext context, long now) {
        Endpoint best = null;
        double bestCost = 0;
        for (Endpoint e : endpoints) {
            if (!context.tried(e)) {
                double c = cost(e, now);
                if (best == null || c < bestCost) {
                    best = e;
                    bestCost = c;
                }
            }
        }
        return best;
    }
}
