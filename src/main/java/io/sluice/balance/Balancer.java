package io.sluice.balance;

/**
 * Chooses the endpoint for one request. Implementations are thread-safe without locks: every event
 * loop calls {@link #pick} on the same instance.
 */
public interface Balancer {

    /**
     * Returns an endpoint that is in service, preferring one the request has not {@link PickContext#tried
     * tried}; a tried one only when no untried one is in service. Null when no endpoint is in service.
     */
    Endpoint pick(PickContext context);
}
