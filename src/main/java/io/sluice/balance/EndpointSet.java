package io.sluice.balance;

import java.util.List;
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
    private final List<Endpoint> endpoints;
    private final AtomicLong version = new AtomicLong();

    public EndpointSet(List<Endpoint> endpoints) {
        this.endpoints = List.copyOf(endpoints);
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

    /** Stops tracking the endpoints' changes (they may live on in another set after a reload). */
    @Override
    public void close() {
        for (Endpoint e : endpoints) {
            e.unwatch(version);
        }
    }
}
