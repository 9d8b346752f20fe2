package io.sluice.balance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code consistent_hash}: a hash ring. Each endpoint in service puts {@code virtualNodes × weight}
 * points on a 64-bit ring (point k of an endpoint is {@code mix(hash(address) + (k+1) × φ)}, so it depends
 * only on the address, not on the list order); a request's key ({@link HashKey}, from {@code hash_on}) is
 * hashed ({@link HashKey#hash}: FNV-1a 64 with the murmur3 finalizer) and goes to the owner of the first
 * point at or after it, wrapping. Pick it when the same key should reach the same endpoint (per-user
 * caches, sticky sessions without cookies) and adding or losing an endpoint should move as few keys as
 * possible: an endpoint that goes out of service loses its points, so only its own keys move, each to the
 * next endpoint along the ring, and they come back when it returns (about 1/N of the keys each way).
 *
 * <p>A request without the key (no such header, cookie, ...) goes round robin. A key whose endpoint was
 * already tried walks on along the ring to the next untried endpoint.
 *
 * <p>Bounded load ({@code hash_balance_factor} ε > 0, as HAProxy's {@code hash-balance-factor} and
 * Google's "consistent hashing with bounded loads"): with T requests in flight over endpoints in service of
 * total weight W, an endpoint of weight w takes the request only if its in-flight count stays at most
 * {@code ceil((1 + ε) × (T + 1) × w / W)}; otherwise the walk goes on to the next point. With equal
 * weights that is {@code ceil((1 + ε) × mean)}. ε = 0.25 means no endpoint above 125% of the mean;
 * lower ε balances better and moves more keys off their home endpoint. Some endpoint always has room.
 * Under concurrency the counts are read live, so the bound holds per pick, not as a global invariant.
 *
 * <p>Worked example, endpoints a, b, c of weight 1, 2 points each, and (positions in 0..99 for
 * readability) points a@10 a@60 b@30 b@80 c@45 c@95: key hashes 5 → a, 31 → c, 70 → b, 90 → c, 97 → a
 * (wraps). With c out: 31 → a (a@60), 90 → a (wraps to a@10); 5, 70 and 97 do not move.
 */
public final class ConsistentHashBalancer implements Balancer {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final HashKey key;
    private final double balanceFactor;
    private final SnapshotCache<Ring> snapshots;
    private final RoundRobinBalancer withoutKey;

    /** Sorted ring points and, for each, the index in {@code endpoints} of its owner. */
    private record Ring(Endpoint[] endpoints, int[] weights, long totalWeight, long[] points, int[] owners) {
        static Ring of(List<Endpoint> all, int virtualNodes) {
            Endpoint[] endpoints = SnapshotCache.inService(all, true);
            int[] weights = Schedule.weightsOf(endpoints);
            long totalWeight = 0;
            List<long[]> nodes = new ArrayList<>();
            for (int i = 0; i < endpoints.length; i++) {
                totalWeight += weights[i];
                long base = HashKey.hash(endpoints[i].address());
                long count = (long) virtualNodes * weights[i];
                for (long k = 0; k < count; k++) {
                    nodes.add(new long[] {point(base, k), i});
                }
            }
            // Equal points (never seen in practice) go to the endpoint listed first.
            nodes.sort(Comparator.<long[]>comparingLong(n -> n[0]).thenComparingLong(n -> n[1]));
            long[] points = new long[nodes.size()];
            int[] owners = new int[nodes.size()];
            for (int k = 0; k < points.length; k++) {
                points[k] = nodes.get(k)[0];
                owners[k] = (int) nodes.get(k)[1];
            }
            return new Ring(endpoints, weights, totalWeight, points, owners);
        }
    }

    public ConsistentHashBalancer(List<Endpoint> endpoints, HashKey key, int virtualNodes, double balanceFactor) {
        this(new EndpointSet(endpoints), key, virtualNodes, balanceFactor);
    }

    /**
     * @param virtualNodes  ring points per unit of weight (>= 1; the configuration's default is 160)
     * @param balanceFactor the bounded-load ε, 0 for none
     */
    public ConsistentHashBalancer(EndpointSet endpoints, HashKey key, int virtualNodes, double balanceFactor) {
        if (virtualNodes < 1) {
            throw new IllegalArgumentException("virtual_nodes: " + virtualNodes + " (expected: >= 1)");
        }
        if (!(balanceFactor >= 0)) {
            throw new IllegalArgumentException("hash_balance_factor: " + balanceFactor + " (expected: >= 0)");
        }
        this.key = key;
        this.balanceFactor = balanceFactor;
        this.snapshots = new SnapshotCache<>(endpoints, all -> Ring.of(all, virtualNodes));
        this.withoutKey = new RoundRobinBalancer(endpoints);
    }

    /** Ring point k of the endpoint whose address hashes to {@code base}. */
    static long point(long base, long k) {
        return HashKey.mix(base + (k + 1) * GOLDEN);
    }

    @Override
    public Endpoint pick(PickContext context) {
        Ring ring = snapshots.get();
        if (ring.endpoints.length == 0) {
            return null;
        }
        String k = key.of(context);
        if (k == null) {
            return withoutKey.pick(context);
        }
        int start = ceilingIndex(ring.points, HashKey.hash(k));
        Endpoint home = ring.endpoints[ring.owners[start]];
        if (balanceFactor == 0 && !context.tried(home)) {
            return home;
        }
        long inFlight = 0;
        if (balanceFactor > 0) {
            for (Endpoint e : ring.endpoints) {
                inFlight += e.inFlight();
            }
        }
        Endpoint e = walk(ring, start, context, inFlight, balanceFactor > 0);
        if (e == null && balanceFactor > 0) {
            e = walk(ring, start, context, inFlight, false); // every untried endpoint is full: untried wins
        }
        return e != null ? e : home;
    }

    /** The first endpoint from point {@code start} on that is untried (and, if {@code bounded}, has room). */
    private Endpoint walk(Ring ring, int start, PickContext context, long inFlight, boolean bounded) {
        int n = ring.points.length;
        // (1+ε) × (T+1) / W, the room per unit of weight; the epsilon keeps exact products from rounding up.
        double roomPerWeight = (1 + balanceFactor) * (inFlight + 1) / ring.totalWeight;
        for (int i = 0, j = start; i < n; i++, j = j + 1 == n ? 0 : j + 1) {
            int owner = ring.owners[j];
            Endpoint e = ring.endpoints[owner];
            if (context.tried(e)) {
                continue;
            }
            if (bounded && e.inFlight() + 1 > Math.ceil(roomPerWeight * ring.weights[owner] - 1e-9)) {
                continue;
            }
            return e;
        }
        return null;
    }

    /** The index of the first point >= hash, wrapping to 0 past the last. */
    private static int ceilingIndex(long[] points, long hash) {
        int lo = 0;
        int hi = points.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (points[mid] < hash) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == points.length ? 0 : lo;
    }
}
