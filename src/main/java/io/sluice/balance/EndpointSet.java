package io.sluice.balance;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An upstream's endpoints in configuration order, with a counter that moves whenever one of them changes
 * state or weight. Balancers compare it with the version their snapshot was built from (one volatile
 * read per pick) and rebuild when it differs. In-flight counts are not versioned: they are read live.
 *
 * <p>The set holds only an {@link AtomicLong} in each endpoint, never the balancer, so a discarded
 * balancer is collectable even while its endpoints live on; {@link #close()} removes even that.
 */
public final class EndpointSet implements AutoCloseable {
    private final Members endpoints;
    private final AtomicLong version = new AtomicLong();

    public EndpointSet(List<Endpoint> endpoints) {
        this(endpoints, 0);
    }

    /**
     * @param panicThreshold a share in [0, 1]: when fewer than this share of the endpoints is in service,
     *                       the balancers use all of them as if healthy (Envoy's panic mode); 0 = off
     */
    public EndpointSet(List<Endpoint> endpoints, double panicThreshold) {
        if (panicThreshold < 0 || panicThreshold > 1) {
            throw new IllegalArgumentException("panicThreshold: " + panicThreshold + " (expected: 0 to 1)");
        }
        this.endpoints = new Members(endpoints.toArray(Endpoint[]::new), panicThreshold);
        for (Endpoint e : this.endpoints) {
            e.watch(version);
        }
    }

    /** In configuration order. */
    public List<Endpoint> all() {
        return endpoints;
    }

    /**
     * Moves after every change of state or weight of an endpoint in the set. Read it before reading the
     * endpoints: a snapshot built from what was read then is at least as new as the version.
     */
    public long version() {
        return version.get();
    }

    /**
     * Whether {@code all} (the {@link #all()} of a set) is in panic: fewer than its threshold's share of
     * endpoints in service. Read by the balancers' snapshot builders.
     */
    static boolean panicking(List<Endpoint> all) {
        if (!(all instanceof Members m) || m.panicThreshold == 0) {
            return false;
        }
        int in = 0;
        for (Endpoint e : m.array) {
            if (e.inService()) {
                in++;
            }
        }
        return in < m.panicThreshold * m.array.length;
    }

    /** Whether the balancers currently use every endpoint as if healthy. */
    public boolean panicking() {
        return panicking(endpoints);
    }

    /** The endpoints, immutable, carrying the set's panic threshold to the snapshot builders. */
    private static final class Members extends AbstractList<Endpoint> implements RandomAccess {
        final Endpoint[] array;
        final double panicThreshold;

        Members(Endpoint[] array, double panicThreshold) {
            for (Endpoint e : array) {
                java.util.Objects.requireNonNull(e, "endpoint");
            }
            this.array = array;
            this.panicThreshold = panicThreshold;
        }

        @Override
        public Endpoint get(int index) {
            return array[index];
        }

        @Override
        public int size() {
            return array.length;
        }
    }

    /** Stops tracking the endpoints' changes (they may live on in another set after a reload). */
    @Override
    public void close() {
        for (Endpoint e : endpoints) {
            e.unwatch(version);
        }
    }
}
