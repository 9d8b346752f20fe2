package io.sluice.config;

/**
 * One route: a match and exactly one action ({@code upstream}, {@code respond}, {@code staticFiles} or
 * a split in {@code traffic}); the others are null (empty). {@code name} defaults to "route-N" (1-based within its listener).
 */
public record RouteConfig(
        String name,
        MatchConfig match,
        String stripPrefix,
        HeaderOps requestHeaders,
        HeaderOps responseHeaders,
        String upstream,
        RespondConfig respond,
        StaticConfig staticFiles,
        RouteTraffic traffic) {

    public RouteConfig {
        traffic = traffic == null ? RouteTraffic.NONE : traffic;
    }

    /** Without split or mirror. */
    public RouteConfig(String name, MatchConfig match, String stripPrefix, HeaderOps requestHeaders,
                       HeaderOps responseHeaders, String upstream, RespondConfig respond, StaticConfig staticFiles) {
        this(name, match, stripPrefix, requestHeaders, responseHeaders, upstream, respond, staticFiles,
                RouteTraffic.NONE);
    }
}
