package io.sluice.balance;

import java.util.List;
import java.util.function.Function;

/**
 * A balancer's immutable view of its endpoints, rebuilt on the first pick after the {@link EndpointSet}'s
 * version moved. A pick costs one volatile read of the version and one of the snapshot; it allocates
 * only when it rebuilds. Two threads may rebuild at once after a change: both results are correct and
 * the later write wins, so no lock is needed.
 */
final class SnapshotCache<S> {
    private final EndpointSet endpoints;
    private final Function<List<Endpoint>, S> builder;
    private volatile Versioned<S> current;

    private record Versioned<S>(long version, S snapshot) {
    }

    SnapshotCache(EndpointSet endpoints, Function<List<Endpoint>, S> builder) {
        this.endpoints = endpoints;
        this.builder = builder;
    }

    S get() {
        long version = endpoints.version(); // before reading the endpoints: see EndpointSet.version()
        Versioned<S> c = current;
        if (c != null && c.version == version) {
            return c.snapshot;
        }
        S snapshot = builder.apply(endpoints.all());
        current = new Versioned<>(version, snapshot);
        return snapshot;
    }

    /** The endpoints in service, in configuration order; with {@code weighted}, also weight >= 1. */
    static Endpoint[] inService(List<Endpoint> all, boolean weighted) {
        return all.stream().filter(e -> e.inService() && (!weighted || e.weight() > 0)).toArray(Endpoint[]::new);
    }

    /**
     * The first endpoint not tried, scanning {@code endpoints} from {@code start} and wrapping; the one
     * at {@code start} when all were tried. Retries are rare, so a linear scan is fine.
     */
    static Endpoint untriedFrom(Endpoint[] endpoints, int start, PickContext context) {
        int n = endpoints.length;
        for (int i = 0, j = start; i < n; i++, j = j + 1 == n ? 0 : j + 1) {
            if (!context.tried(endpoints[j])) {
                return endpoints[j];
            }
        }
        return endpoints[start];
    }
}
