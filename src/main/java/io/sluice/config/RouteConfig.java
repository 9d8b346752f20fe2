package io.sluice.config;

import java.util.List;

/**
 * One route: a match and exactly one action ({@code upstream}, {@code respond}, {@code staticFiles} or
 * a split in {@code traffic}); the others are null (empty). {@code name} defaults to "route-N" (1-based within its listener).
 * {@code filters}: in order on the request (after the listener's).
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
        RouteTraffic traffic,
        List<FilterConfig> filters) {

    public RouteConfig {
        traffic = traffic == null ? RouteTraffic.NONE : traffic;
        filters = filters == null ? List.of() : List.copyOf(filters);
    }

    /** Without split, mirror or filters. */
    public RouteConfig(String name, MatchConfig match, String stripPrefix, HeaderOps requestHeaders,
                       HeaderOps responseHeaders, String upstream, RespondConfig respond, StaticConfig staticFiles) {
        this(name, match, stripPrefix, requestHeaders, responseHeaders, upstream, respond, staticFiles,
                RouteTraffic.NONE, List.of());
    }

    /** Without filters. */
    public RouteConfig(String name, MatchConfig match, String stripPrefix, HeaderOps requestHeaders,
                       HeaderOps responseHeaders, String upstream, RespondConfig respond, StaticConfig staticFiles,
                       RouteTraffic traffic) {
        this(name, match, stripPrefix, requestHeaders, responseHeaders, upstream, respond, staticFiles, traffic,
                List.of());
    }
}
