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
        Duration reloadInterval,
        Acme acme) {

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
        this(certificates, null, null, null, null, null, null, null);
    }

    /** Without ACME. */
    public TlsConfig(List<Certificate> certificates, String provider, List<String> protocols, List<String> ciphers,
                     Path clientCa, ClientAuth clientAuth, Duration reloadInterval) {
        this(certificates, provider, protocols, ciphers, clientCa, clientAuth, reloadInterval, null);
    }

    /**
     * {@code tls.acme}: certificates for {@code domains} obtained from the ACME server at {@code directory}
     * ({@code https://...} or an acme4j {@code acme://} URI) and renewed when less than {@code renewBefore}
     * of their validity remains. {@code storage} (absolute) keeps the keys and the chain; {@code trustCa}
     * (null: the system trust store) is what the directory's own TLS certificate must chain to;
     * {@code checkInterval} is how often the remaining validity is looked at.
     */
    public record Acme(String directory, String email, List<String> domains, Path storage, Challenge challenge,
                       Duration renewBefore, Path trustCa, Duration checkInterval) {
        public static final Duration DEFAULT_RENEW_BEFORE = Duration.ofDays(30);
        public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofHours(12);

        public Acme {
            domains = List.copyOf(domains);
            challenge = challenge == null ? Challenge.HTTP_01 : challenge;
            renewBefore = renewBefore == null ? DEFAULT_RENEW_BEFORE : renewBefore;
            checkInterval = checkInterval == null ? DEFAULT_CHECK_INTERVAL : checkInterval;
        }
    }

    /** {@code tls.acme.challenge}: how the ACME server checks that the domains are ours. */
    public enum Challenge {
        HTTP_01("http-01"), TLS_ALPN_01("tls-alpn-01");

        public final String text;

        Challenge(String text) {
            this.text = text;
        }
    }

    /** A PEM certificate chain and its PEM private key, both absolute paths. */
    public record Certificate(Path cert, Path key) {
    }

    /** {@code tls.client_auth}: whether a client certificate is asked for, and whether it must be there. */
    public enum ClientAuth { NONE, OPTIONAL, REQUIRE }
}
