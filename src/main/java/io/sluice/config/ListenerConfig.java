package io.sluice.config;

import java.time.Duration;
import java.util.List;

/**
 * One {@code listeners:} entry. http and https listeners have {@code routes}; tcp listeners have
 * {@code upstream} instead. {@code tls} is non-null exactly for https. {@code redirectToHttps} (http
 * listeners only) answers every request with 308 to https on {@code httpsPort} (443: no port in the URL).
 * {@code idleTimeout} (tcp listeners): a relayed connection with no byte either way for this long closes.
 * {@code proxyProtocol}: every connection (from a peer in {@code proxyProtocolFrom}, when that is not empty)
 * starts with a PROXY protocol header. {@code forwardProxy} (http listeners, which then have no routes) is
 * null unless the listener is a forward proxy.
 * {@code filters} (http and https listeners) run before every route's. {@code http3} (https listeners): also
 * HTTP/3 over QUIC on the same port, UDP.
 */
public record ListenerConfig(
        String name,
        HostPort address,
        Protocol protocol,
        List<RouteConfig> routes,
        TlsConfig tls,
        String upstream,
        boolean redirectToHttps,
        int httpsPort,
        Duration idleTimeout,
        boolean proxyProtocol,
        List<Cidr> proxyProtocolFrom,
        ForwardProxyConfig forwardProxy,
        List<FilterConfig> filters,
        boolean http3) {
    /** nginx's stream proxy_timeout default. */
    public static final Duration DEFAULT_TCP_IDLE = Duration.ofMinutes(10);

    public ListenerConfig {
        routes = routes == null ? List.of() : List.copyOf(routes);
        proxyProtocolFrom = proxyProtocolFrom == null ? List.of() : List.copyOf(proxyProtocolFrom);
        filters = filters == null ? List.of() : List.copyOf(filters);
    }

    /** A listener without HTTP/3. */
    public ListenerConfig(String name, HostPort address, Protocol protocol, List<RouteConfig> routes, TlsConfig tls,
                          String upstream, boolean redirectToHttps, int httpsPort, Duration idleTimeout,
                          boolean proxyProtocol, List<Cidr> proxyProtocolFrom, ForwardProxyConfig forwardProxy,
                          List<FilterConfig> filters) {
        this(name, address, protocol, routes, tls, upstream, redirectToHttps, httpsPort, idleTimeout, proxyProtocol,
                proxyProtocolFrom, forwardProxy, filters, false);
    }

    /** A listener without filters. */
    public ListenerConfig(String name, HostPort address, Protocol protocol, List<RouteConfig> routes, TlsConfig tls,
                          String upstream, boolean redirectToHttps, int httpsPort, Duration idleTimeout,
                          boolean proxyProtocol, List<Cidr> proxyProtocolFrom, ForwardProxyConfig forwardProxy) {
        this(name, address, protocol, routes, tls, upstream, redirectToHttps, httpsPort, idleTimeout, proxyProtocol,
                proxyProtocolFrom, forwardProxy, List.of());
    }

    public ListenerConfig(String name, HostPort address, Protocol protocol, List<RouteConfig> routes, TlsConfig tls,
                          String upstream) {
        this(name, address, protocol, routes, tls, upstream, false, 443, DEFAULT_TCP_IDLE, false, List.of(), null, List.of());
    }
}
