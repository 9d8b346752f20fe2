package io.sluice.config;

/**
 * One route: a match and exactly one action ({@code upstream}, {@code respond} or {@code staticFiles});
 * the other two are null. {@code name} defaults to "route-N" (1-based within its listener).
 */
public record RouteConfig(
        String name,
        MatchConfig match,
        String stripPrefix,
        HeaderOps requestHeaders,
        HeaderOps responseHeaders,
        String upstream,
        RespondConfig respond,
        StaticConfig staticFiles) {
}
