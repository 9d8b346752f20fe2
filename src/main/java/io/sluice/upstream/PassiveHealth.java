package io.sluice.upstream;

import io.netty.util.concurrent.EventExecutor;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.config.PassiveConfig;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Failures seen on real traffic: {@code max_failures} consecutive ones take an endpoint out for
 * {@code fail_timeout}, after which it is back in service. Any response status counts as a success.
 */
final class PassiveHealth {
    private final PassiveConfig config;
    private final AtomicIntegerArray consecutiveFailures;
    private final Events events;

    /** What passive health did, for metrics. Called on an event loop. */
    interface Events {
        void ejected(Endpoint endpoint);

        void restored(Endpoint endpoint);
    }

    PassiveHealth(PassiveConfig config, List<Endpoint> endpoints) {
        this(config, endpoints, null);
    }

    PassiveHealth(PassiveConfig config, List<Endpoint> endpoints, Events events) {
        this.config = config;
        this.consecutiveFailures = new AtomicIntegerArray(endpoints.size());
        this.events = events;
    }

    void success(Endpoint endpoint) {
        if (config != null && consecutiveFailures.get(endpoint.index()) != 0) {
            consecutiveFailures.set(endpoint.index(), 0);
        }
    }

    void failure(Endpoint endpoint, EventExecutor timer) {
        if (config == null) {
            return;
        }
        int failures = consecutiveFailures.incrementAndGet(endpoint.index());
        if (failures >= config.maxFailures() && endpoint.state() == EndpointState.HEALTHY) {
            consecutiveFailures.set(endpoint.index(), 0);
            endpoint.state(EndpointState.UNHEALTHY);
            if (events != null) {
                events.ejected(endpoint);
            }
            timer.schedule(() -> {
                if (endpoint.state() == EndpointState.UNHEALTHY) {
                    endpoint.state(EndpointState.HEALTHY);
                    if (events != null) {
                        events.restored(endpoint);
                    }
                }
            }, config.failTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
