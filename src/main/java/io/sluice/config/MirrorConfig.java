package io.sluice.config;

/**
 * {@code mirror:} on a route: a copy of {@code share} (0 to 1) of the route's requests goes to
 * {@code upstream} as well, its answer thrown away. A request whose body is larger than {@code maxBody}
 * is not copied; at most {@code maxInFlight} copies of the route are under way at once.
 */
public record MirrorConfig(String upstream, double share, long maxBody, int maxInFlight) {
    public static final long DEFAULT_MAX_BODY = 64 * 1024;
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
}
