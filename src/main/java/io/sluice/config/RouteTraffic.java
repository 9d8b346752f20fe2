package io.sluice.config;

import java.util.List;

/**
 * A route's canary settings from the gateway contract. {@code split}: the sides that share the route's
 * requests by weight (empty when the route has no split; then it has {@code upstream}, {@code respond} or
 * {@code static}); {@code splitOn}: the key that keeps a client on one side ({@code client_ip},
 * {@code header:NAME}, {@code cookie:NAME}, {@code query:NAME}), or null; {@code mirror}: where a copy
 * of the requests goes, or null.
 */
public record RouteTraffic(List<SplitSide> split, String splitOn, MirrorConfig mirror) {
    public static final RouteTraffic NONE = new RouteTraffic(List.of(), null, null);

    public RouteTraffic {
        split = split == null ? List.of() : List.copyOf(split);
    }

    /** One side of a split: an upstream and its weight (0 to 1000; 0 takes no requests). */
    public record SplitSide(String upstream, int weight) {
    }
}
