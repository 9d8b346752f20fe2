package io.sluice.filter;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Tells the upstream who the client is: {@code X-Forwarded-For} gets the client's address appended to
 * what the client sent (all lines joined with ", "); {@code X-Forwarded-Proto}, {@code X-Forwarded-Host}
 * and {@code X-Real-IP} replace whatever the client sent.
 */
public final class ForwardedHeaders {
    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    public static final AsciiString X_REAL_IP = AsciiString.cached("X-Real-IP");

    private ForwardedHeaders() {
    }

    /**
     * @param clientIp the client's address, IPv6 without brackets
     * @param proto    {@code http} or {@code https}, from the listener
     */
    public static void apply(HttpHeaders headers, String clientIp, AsciiString proto) {
        List<String> previous = headers.getAll(X_FORWARDED_FOR);
        if (previous.isEmpty()) {
            headers.set(X_FORWARDED_FOR, clientIp);
        } else {
            StringBuilder joined = new StringBuilder(64);
            for (int i = 0; i < previous.size(); i++) {
                joined.append(previous.get(i)).append(", ");
            }
            headers.set(X_FORWARDED_FOR, joined.append(clientIp).toString());
        }
        headers.set(X_FORWARDED_PROTO, proto);
        String host = headers.get(HttpHeaderNames.HOST);
        if (host != null) {
            headers.set(X_FORWARDED_HOST, host);
        } else {
            headers.remove(X_FORWARDED_HOST);
        }
        headers.set(X_REAL_IP, clientIp);
    }
}
