package io.sluice.filter;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Tells the upstream who the client is: {@code X-Forwarded-For} gets the client's address appended to
 * what the client sent (all lines joined with ", "); {@code X-Forwarded-Proto}, {@code X-Forwarded-Host},
 * {@code X-Forwarded-Port} and {@code X-Real-IP} replace whatever the client sent. A client's
 * {@code Forwarded} (RFC 7239) is removed: nothing vouches for it, and upstreams that read it before the
 * X-Forwarded-* fields (Spring, Tomcat's RemoteIpValve) would take its for=/host=/proto= as the proxy's.
 */
public final class ForwardedHeaders {
    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    public static final AsciiString X_FORWARDED_PORT = AsciiString.cached("X-Forwarded-Port");
    public static final AsciiString X_REAL_IP = AsciiString.cached("X-Real-IP");
    public static final AsciiString FORWARDED = AsciiString.cached("Forwarded");

    private ForwardedHeaders() {
    }

    /**
     * @param clientIp the client's address, IPv6 without brackets
     * @param proto    {@code http} or {@code https}, from the listener
     * @param port     the port the client connected to; null when unknown (the field is then removed)
     */
    public static void apply(HttpHeaders headers, String clientIp, AsciiString proto, AsciiString port) {
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
        if (port != null) {
            headers.set(X_FORWARDED_PORT, port);
        } else {
            headers.remove(X_FORWARDED_PORT);
        }
        headers.remove(FORWARDED);
    }

    /** {@code address}'s port as X-Forwarded-Port writes it; {@code same} when it is that port already. */
    public static AsciiString port(java.net.InetSocketAddress address, AsciiString same) {
        if (address == null) {
            return same;
        }
        String port = Integer.toString(address.getPort());
        return same != null && same.contentEquals(port) ? same : new AsciiString(port);
    }
}
