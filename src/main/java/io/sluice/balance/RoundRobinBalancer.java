package io.sluice.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Each endpoint in service in turn, weights ignored: with a, b, c the picks are a b c a b c, starting
 * with the first endpoint listed. An endpoint out of service (or already tried) is skipped and the
 * turn passes to the next one.
 */
public final class RoundRobinBalancer implements Balancer {
    private final Endpoint[] endpoints;
    private final AtomicLong next = new AtomicLong();

    public RoundRobinBalancer(List<Endpoint> endpoints) {
        this.endpoints = endpoints.toArray(new Endpoint[0]);
    }

    @Override
    public Endpoint pick(PickContext context) {
        int n = endpoints.length;
        if (n == 0) {
            return null;
        }
        long start = next.getAndIncrement();
        Endpoint fallback = null;
        for (int i = 0; i < n; i++) {
            Endpoint e = endpoints[(int) ((start + i) % n)];
            if (!e.inService()) {
                continue;
            }
            if (!context.tried(e)) {
                if (i > 0) {
                    // Keep the rotation moving past the endpoints we skipped.
                    next.compareAndSet(start + 1, start + i + 1);
                }
                return e;
            }
            if (fallback == null) {
                fallback = e;
            }
        }
        return fallback;
    }
}
