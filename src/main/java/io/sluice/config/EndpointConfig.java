package io.sluice.config;

/**
 * One endpoint. {@code address} is the text as configured (what metrics and the admin API show);
 * {@code host}/{@code port} are parsed from it; {@code tls} is true for {@code https://} addresses.
 * A bare {@code host:port} or {@code http://host:port} is plain HTTP (port 80 / 443 when omitted in a URL).
 * {@code basePath} is the path of a URL address ({@code http://host:port/base}): forwarded paths are
 * joined to it as Go's {@code NewSingleHostReverseProxy} does; "" when there is none.
 */
public record EndpointConfig(String address, String host, int port, boolean tls, int weight, String basePath) {

    public EndpointConfig {
        basePath = basePath == null ? "" : basePath;
    }

    /** Without a base path. */
    public EndpointConfig(String address, String host, int port, boolean tls, int weight) {
        this(address, host, port, tls, weight, "");
    }
}
