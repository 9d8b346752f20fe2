package io.sluice.config;

import java.util.List;

/**
 * One route: a match and exactly one action ({@code upstream}, {@code respond} or {@code staticFiles});
 * the other two are null. {@code filters}: in order on the request (after the listener's). {@code name} defaults to "route-N" (1-based within its listener).
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
        List<FilterConfig> filters) {

    public RouteConfig {
        filters = filters == null ? List.of() : List.copyOf(filters);
    }

    /** A route without filters. */
    public RouteConfig(String name, MatchConfig match, String stripPrefix, HeaderOps requestHeaders,
                       HeaderOps responseHeaders, String upstream, RespondConfig respond, StaticConfig staticFiles) {
        this(name, match, stripPrefix, requestHeaders, responseHeaders, upstream, respond, staticFiles, List.of());
    }
}
