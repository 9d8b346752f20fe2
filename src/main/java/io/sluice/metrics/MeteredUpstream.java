package io.sluice.metrics;

import io.sluice.balance.Endpoint;
import java.util.List;

/**
 * What the metrics read of an upstream at scrape time. Implemented by {@code io.sluice.upstream.Upstream},
 * so that metrics (which the upstream package records into) does not depend on it in turn.
 */
public interface MeteredUpstream {

    String name();

    List<Endpoint> endpoints();

    /** Idle pooled connections to {@code endpoint}. */
    int idleConnections(Endpoint endpoint);

    /** Whether the upstream has an active health check ({@code health_check:}). */
    boolean healthChecked();

    /** The circuit breaker, or null without {@code circuit_breaker:}. */
    MeteredBreaker breaker();

    /** What happened to the copies routes mirrored to this upstream. */
    MirrorStats mirrorStats();
}
