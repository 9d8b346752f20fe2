package io.sluice.config;

import java.nio.file.Path;

/**
 * An upstream's {@code tls:} block for its {@code https://} endpoints. {@code ca} null means the system
 * trust store; {@code verify: false} trusts any certificate and name (tests only); {@code serverName}
 * replaces the endpoint's host in SNI and in the name check. {@code clientCert}/{@code clientKey} are
 * both null or both set.
 */
public record UpstreamTlsConfig(Path ca, Path clientCert, Path clientKey, boolean verify, String serverName) {
    public static final UpstreamTlsConfig DEFAULTS = new UpstreamTlsConfig(null, null, null, true, null);
}
