package io.sluice.filter;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Removes the headers that describe one connection rather than the message (RFC 9110 §7.6.1), in both
 * directions: {@code Connection} and every header it names, {@code Keep-Alive}, {@code Proxy-Connection},
 * {@code Transfer-Encoding} (the proxy frames each side itself), {@code TE} (kept as {@code TE: trailers}
 * when it asks for trailers), {@code Upgrade} unless the message is an upgrade, and the {@code x-http2-*}
 * headers of Netty's HTTP/2 conversion.
 *
 * <p>{@code Connection} cannot name away what the proxy must keep (RFC 9110 §7.6.1 lets it): the framing
 * ({@code Content-Length}, {@code Transfer-Encoding}: a body whose length went would be read upstream as the
 * next request, which is request smuggling) and the headers the proxy itself writes or passes on as the
 * truth about the client ({@code Host}, {@code X-Forwarded-*}, {@code X-Real-IP}, {@code X-Request-ID}, the
 * trace context). See {@link #PROTECTED}.
 */
public final class HopByHopHeaders {
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");

    /** Never removed because {@code Connection} names them, in either direction. */
    private static final AsciiString[] PROTECTED = {
        HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.HOST,
        AsciiString.cached("x-forwarded-for"), AsciiString.cached("x-forwarded-proto"),
        AsciiString.cached("x-forwarded-host"), AsciiString.cached("x-forwarded-port"),
        AsciiString.cached("x-real-ip"), AsciiString.cached("x-request-id"), AsciiString.cached("forwarded"),
        AsciiString.cached("traceparent"), AsciiString.cached("tracestate"),
    };

    private HopByHopHeaders() {
    }

    /**
     * Strips a request's hop-by-hop headers.
     *
     * @param upgrade true when the request asks to upgrade (Connection: upgrade with an Upgrade header);
     *                then {@code Upgrade} and {@code Connection: upgrade} are kept for the upstream
     */
    public static void stripRequest(HttpHeaders headers, boolean upgrade) {
        boolean wantsTrailers = false;
        List<String> te = headers.getAll(HttpHeaderNames.TE);
        for (int i = 0; i < te.size(); i++) {
            if (containsToken(te.get(i), "trailers")) {
                wantsTrailers = true;
                break;
            }
        }
        CharSequence upgradeValue = upgrade ? headers.get(HttpHeaderNames.UPGRADE) : null;
        strip(headers);
        if (wantsTrailers) {
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        if (upgradeValue != null) {
            headers.set(HttpHeaderNames.UPGRADE, upgradeValue);
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
    }

    /**
     * Strips a response's hop-by-hop headers; a 101 keeps {@code Upgrade} and {@code Connection: upgrade}.
     *
     * @param keepAliveByDefault whether the response's HTTP version keeps a connection open unless told to
     *                           close it (1.1), rather than only when asked to (1.0)
     * @return whether the connection the response came on may carry another exchange (RFC 9112 §9.3), as
     *         {@code HttpUtil.isKeepAlive} would have said of the head before it was stripped. The
     *         {@code Connection} field is read once for both (35-60 ns less per upstream response than asking
     *         {@code isKeepAlive} first, JMH: docs/benchmarks.md, "Late evening of 2026-12-06")
     */
    public static boolean stripResponse(HttpHeaders headers, boolean switchingProtocols, boolean keepAliveByDefault) {
        CharSequence upgradeValue = switchingProtocols ? headers.get(HttpHeaderNames.UPGRADE) : null;
        int options = strip(headers);
        if (upgradeValue != null) {
            headers.set(HttpHeaderNames.UPGRADE, upgradeValue);
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        return (options & CLOSE) == 0 && (keepAliveByDefault || (options & KEEP_ALIVE) != 0);
    }

    /**
     * Netty's HTTP/2-to-HTTP/1 conversion adds these ({@code x-http2-scheme}, {@code x-http2-stream-id}, ...);
     * they describe this hop's stream and are never forwarded, and a client that sends them must not steer
     * the conversion on the upstream side either.
     */
    private static final AsciiString[] HTTP2_EXTENSION = {
        HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(), HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(),
        HttpConversionUtil.ExtensionHeaderNames.PATH.text(),
        HttpConversionUtil.ExtensionHeaderNames.STREAM_PROMISE_ID.text(),
        HttpConversionUtil.ExtensionHeaderNames.STREAM_DEPENDENCY_ID.text(),
        HttpConversionUtil.ExtensionHeaderNames.STREAM_WEIGHT.text(),
    };

    /** The connection options {@link #strip} reports: {@code close} and {@code keep-alive} were listed. */
    private static final int CLOSE = 1;
    private static final int KEEP_ALIVE = 2;

    /** @return the {@link #CLOSE} and {@link #KEEP_ALIVE} options its {@code Connection} field listed */
    private static int strip(HttpHeaders headers) {
        for (AsciiString name : HTTP2_EXTENSION) {
            headers.remove(name);
        }
        int options = 0;
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
            for (int i = 0; i < connection.size(); i++) {
                options |= removeNamed(headers, connection.get(i));
            }
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(PROXY_CONNECTION);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.UPGRADE);
        return options;
    }

    /** Removes the fields one {@code Connection} value names; returns the options it listed (see {@link #strip}). */
    private static int removeNamed(HttpHeaders headers, String connectionValue) {
        int options = 0;
        int start = 0;
        int length = connectionValue.length();
        while (start < length) {
            int comma = connectionValue.indexOf(',', start);
            int end = comma < 0 ? length : comma;
            String name = connectionValue.substring(start, end).trim();
            if (HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(name)) {
                options |= CLOSE;
            } else if (HttpHeaderValues.KEEP_ALIVE.contentEqualsIgnoreCase(name)) {
                options |= KEEP_ALIVE;
            }
            if (!name.isEmpty() && !isProtected(name)) {
                headers.remove(name);
            }
            start = end + 1;
        }
        return options;
    }

    /**
     * Removes the fields the client's {@code Connection} names before the filters run, so that a client cannot
     * name away a field a filter sets (forward_auth's {@code response_headers}, jwt's {@code claims_to_headers}):
     * {@link #stripRequest} runs after them. {@code Connection} keeps only the tokens read on the way
     * ({@code close}, {@code keep-alive}, {@code upgrade}, {@code te}); their fields go in {@link #stripRequest}.
     * A request whose {@code Connection} names no other field is left as it is.
     */
    public static void stripClientNamed(HttpHeaders headers) {
        List<String> lines = headers.getAll(HttpHeaderNames.CONNECTION);
        if (!clientNamed(lines, null, null)) {
            return; // "keep-alive", "close", "Upgrade": the usual lines, nothing to do
        }
        StringBuilder kept = new StringBuilder(16);
        clientNamed(lines, headers, kept);
        if (kept.length() == 0) {
            headers.remove(HttpHeaderNames.CONNECTION);
        } else {
            headers.set(HttpHeaderNames.CONNECTION, kept.toString());
        }
    }

    /**
     * Walks the tokens of the {@code Connection} lines: whether one names a field {@link #stripClientNamed}
     * removes; with {@code headers}, removes those fields and appends the tokens read on the way to {@code kept}.
     */
    private static boolean clientNamed(List<String> lines, HttpHeaders headers, StringBuilder kept) {
        boolean names = false;
        for (int l = 0; l < lines.size(); l++) {
            String line = lines.get(l);
            int start = 0;
            while (start < line.length()) {
                int comma = line.indexOf(',', start);
                int end = comma < 0 ? line.length() : comma;
                String name = line.substring(start, end).trim(); // the line itself for a one-token line
                if (readOnTheWay(name)) {
                    if (kept != null) {
                        kept.append(kept.length() == 0 ? "" : ", ").append(name);
                    }
                } else if (!name.isEmpty() && !isProtected(name)) {
                    if (headers == null) {
                        return true;
                    }
                    headers.remove(name);
                    names = true;
                }
                start = end + 1;
            }
        }
        return names;
    }

    private static boolean readOnTheWay(String token) {
        return HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(token)
                || HttpHeaderValues.KEEP_ALIVE.contentEqualsIgnoreCase(token)
                || HttpHeaderValues.UPGRADE.contentEqualsIgnoreCase(token)
                || HttpHeaderNames.TE.contentEqualsIgnoreCase(token);
    }

    /** Whether {@code name} is one the proxy keeps whatever {@code Connection} says. */
    static boolean isProtected(String name) {
        for (AsciiString p : PROTECTED) {
            if (p.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** True when the comma-separated {@code value} contains {@code token} (case-insensitive, parameters ignored). */
    public static boolean containsToken(String value, String token) {
        int start = 0;
        int length = value.length();
        while (start < length) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? length : comma;
            int semicolon = value.indexOf(';', start);
            int tokenEnd = semicolon >= 0 && semicolon < end ? semicolon : end;
            if (value.substring(start, tokenEnd).trim().equalsIgnoreCase(token)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }
}
