package io.sluice.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A balancer's immutable view of its endpoints, rebuilt on the first pick after the {@link EndpointSet}'s
 * version moved. A pick costs one volatile read of the version and one of the snapshot; it allocates
 * only when it rebuilds. Two threads may rebuild at once after a change; the snapshot is published by
 * compare-and-set and the loser adopts the winner's, so every pick for one version uses the same snapshot
 * (snapshots that carry rotation state, like the live weighted round robins, depend on that).
 */
final class SnapshotCache<S> {
    private final EndpointSet endpoints;
    private final Function<List<Endpoint>, S> builder;
    private final AtomicReference<Versioned<S>> current = new AtomicReference<>();

    private record Versioned<S>(long version, S snapshot) {
    }

    SnapshotCache(EndpointSet endpoints, Function<List<Endpoint>, S> builder) {
        this.endpoints = endpoints;
        this.builder = builder;
    }

    S get() {
        while (true) {
            long version = endpoints.version(); // before reading the endpoints: see EndpointSet.version()
            Versioned<S> c = current.get();
            if (c != null && c.version >= version) {
                return c.snapshot; // newer only if another thread read a later version meanwhile
            }
            Versioned<S> built = new Versioned<>(version, builder.apply(endpoints.all()));
            if (current.compareAndSet(c, built)) {
                return built.snapshot;
            }
        }
    }

    /**
     * The endpoints in service, in configuration order; with {@code weighted}, also effective weight >= 1.
     * In panic ({@link EndpointSet#panicking}) every endpoint counts as in service, as Envoy does.
     */
    static Endpoint[] inService(List<Endpoint> all, boolean weighted) {
        boolean panic = EndpointSet.panicking(all);
        return all.stream().filter(e -> (panic || e.inService()) && (!weighted || e.effectiveWeight() > 0))
                .toArray(Endpoint[]::new);
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
