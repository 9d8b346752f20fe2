package io.sluice.balance;

/** Whether an endpoint takes new requests. */
public enum EndpointState {
    /** In service. */
    HEALTHY,
    /** Taken out by active or passive checks. */
    UNHEALTHY,
    /** Removed by a reload or the admin API; finishes the requests it has, takes no new ones. */
    DRAINING;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
