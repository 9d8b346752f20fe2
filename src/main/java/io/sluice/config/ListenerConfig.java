package io.sluice.config;

import java.util.List;

/**
 * One {@code listeners:} entry. http and https listeners have {@code routes}; tcp listeners have
 * {@code upstream} instead. {@code tls} is non-null exactly for https.
 */
public record ListenerConfig(
        String name,
        HostPort address,
        Protocol protocol,
        List<RouteConfig> routes,
        TlsConfig tls,
        String upstream) {

    public ListenerConfig {
        routes = routes == null ? List.of() : List.copyOf(routes);
    }
}
