package io.sluice.config;

/**
 * One endpoint. {@code address} is the text as configured (what metrics and the admin API show);
 * {@code host}/{@code port} are parsed from it; {@code tls} is true for {@code https://} addresses.
 * A bare {@code host:port} or {@code http://host:port} is plain HTTP (port 80 / 443 when omitted in a URL).
 */
public record EndpointConfig(String address, String host, int port, boolean tls, int weight) {
}
