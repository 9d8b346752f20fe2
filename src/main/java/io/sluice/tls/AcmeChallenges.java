package io.sluice.tls;

import io.netty.handler.ssl.SslContext;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ACME challenges being validated right now, shared by every listener of the process: HTTP-01 key
 * authorizations by token (answered by any listener at {@code /.well-known/acme-challenge/TOKEN}) and
 * TLS-ALPN-01 contexts by domain (chosen by {@link ServerTls} for a ClientHello that offers only
 * {@code acme-tls/1}). Entries live only while the ACME server validates.
 */
public final class AcmeChallenges {
    public static final String HTTP01_PREFIX = "/.well-known/acme-challenge/";
    public static final String ACME_TLS_1 = "acme-tls/1";

    private static final Map<String, String> HTTP01 = new ConcurrentHashMap<>();
    private static final Map<String, SslContext> TLS_ALPN01 = new ConcurrentHashMap<>();

    private AcmeChallenges() {
    }

    /** The key authorization for a request path, or null when the path is not a pending HTTP-01 challenge. */
    public static String http01(String path) {
        if (HTTP01.isEmpty() || !path.startsWith(HTTP01_PREFIX)) {
            return null;
        }
        return HTTP01.get(path.substring(HTTP01_PREFIX.length()));
    }

    static void putHttp01(String token, String keyAuthorization) {
        HTTP01.put(token, keyAuthorization);
    }

    static void removeHttp01(String token) {
        HTTP01.remove(token);
    }

    /** Whether any TLS-ALPN-01 validation is in progress (the ClientHello is only parsed then). */
    static boolean tlsAlpnPending() {
        return !TLS_ALPN01.isEmpty();
    }

    static SslContext tlsAlpn01(String domain) {
        return domain == null ? null : TLS_ALPN01.get(domain.toLowerCase(Locale.ROOT));
    }

    static void putTlsAlpn01(String domain, SslContext context) {
        TLS_ALPN01.put(domain.toLowerCase(Locale.ROOT), context);
    }

    static void removeTlsAlpn01(String domain) {
        TLS_ALPN01.remove(domain.toLowerCase(Locale.ROOT));
    }
}
