package io.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An https listener's TLS settings. {@code certificates} are chosen by SNI (names from each certificate's
 * subject alternative names); the first is the default. {@code provider} is null for "OpenSSL when it
 * loads, else the JDK"; empty {@code protocols}/{@code ciphers} mean the safe defaults
 * ({@code io.sluice.accept.ServerTls}). {@code clientCa} is null unless client certificates are asked for.
 */
public record TlsConfig(
        List<Certificate> certificates,
        String provider,
        List<String> protocols,
        List<String> ciphers,
        Path clientCa,
        ClientAuth clientAuth,
        Duration reloadInterval) {

    public static final List<String> PROVIDERS = List.of("openssl", "jdk");
    public static final List<String> PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);

    public TlsConfig {
        certificates = List.copyOf(certificates);
        protocols = protocols == null ? List.of() : List.copyOf(protocols);
        ciphers = ciphers == null ? List.of() : List.copyOf(ciphers);
        clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
        reloadInterval = reloadInterval == null ? DEFAULT_RELOAD_INTERVAL : reloadInterval;
    }

    /** Certificates only, everything else by default. */
    public TlsConfig(List<Certificate> certificates) {
        this(certificates, null, null, null, null, null, null);
    }

    /** A PEM certificate chain and its PEM private key, both absolute paths. */
    public record Certificate(Path cert, Path key) {
    }

    /** {@code tls.client_auth}: whether a client certificate is asked for, and whether it must be there. */
    public enum ClientAuth { NONE, OPTIONAL, REQUIRE }
}
