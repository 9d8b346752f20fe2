package io.sluice.accept;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * What a request head must be, beyond what the decoder checks, before anything routes it: a target in
 * origin or absolute form, one valid Host, a Transfer-Encoding the proxy reads as the upstream will. Pure
 * functions on the head (the absolute form is turned into origin form in place).
 */
final class RequestChecks {
    private RequestChecks() {
    }

    /** What makes a request unforwardable beyond what the decoder checks; null when it is fine. */
    static String validate(HttpRequest request) {
        HttpHeaders headers = request.headers();
        String uri = request.uri();
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c < 0x21 || c == 0x7f) { // RFC 9112 §3.2; an upstream may split the line at it (found by fuzzing)
                return "control byte in the request target";
            }
            if (c == '#') { // RFC 9112 §3.2: no fragment; "/public#/../admin" would route as /public, go as more
                return "a fragment in the request target";
            }
        }
        // RFC 9112 §3.2: more than one Host field, or a bad one, is a 400 before the absolute-form's authority
        // replaces it (found by fuzzing: two Host fields beside an absolute-form target were forwarded)
        String hostProblem = hostProblem(headers);
        if (hostProblem != null) {
            return hostProblem;
        }
        if (uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8)) {
            // absolute-form (RFC 9112 §3.2.2): the authority replaces Host
            int start = uri.indexOf("//") + 2;
            int slash = uri.indexOf('/', start);
            int query = uri.indexOf('?', start);
            int end = slash >= 0 ? slash : query >= 0 ? query : uri.length();
            if (end == start) {
                return "bad request target";
            }
            headers.set(HttpHeaderNames.HOST, uri.substring(start, end));
            String rest = uri.substring(end);
            request.setUri(rest.isEmpty() || rest.charAt(0) == '?' ? "/" + rest : rest);
        } else if (!uri.startsWith("/") && !("*".equals(uri) && request.method() == HttpMethod.OPTIONS)) {
            return "bad request target";
        }
        if (!headers.contains(HttpHeaderNames.HOST) && request.protocolVersion() == HttpVersion.HTTP_1_1) {
            return "missing Host header";
        }
        if (!validHost(headers.get(HttpHeaderNames.HOST))) {
            return "bad Host header"; // an absolute-form authority that is not uri-host [":" port]
        }
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING) && (request.protocolVersion() == HttpVersion.HTTP_1_0
                || headers.getAll(HttpHeaderNames.TRANSFER_ENCODING).size() > 1)) {
            return "Transfer-Encoding repeated, or in an HTTP/1.0 request"; // as nginx
        }
        return null;
    }

    /**
     * What the proxy will not take from a request head that {@link #validate} passed, in the order it is
     * checked; each a fixed answer, so refusing costs no allocation. {@code close}: the connection closes
     * after the answer, because what follows the head cannot be read as the client meant it.
     */
    enum Refusal {
        // "HTTP/2.1" in a request line (found by fuzzing): this connection speaks HTTP/1.x only, as nginx
        // answers it; an upstream must not be left to guess how such a request is framed
        HTTP_VERSION(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported", true),
        // the body's framing is unknown: nothing after it can be read
        TRANSFER_ENCODING(HttpResponseStatus.NOT_IMPLEMENTED, "unsupported Transfer-Encoding", true),
        HTTP_MINOR_VERSION(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, null, true),
        CONNECT(HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not supported", false),
        EXPECTATION(HttpResponseStatus.EXPECTATION_FAILED, null, false),
        // heads the decoder could not read ({@link #undecodable}); the detail of MALFORMED is the decoder's
        HEAD_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request head too large", true),
        MALFORMED(HttpResponseStatus.BAD_REQUEST, null, true);

        final HttpResponseStatus status;
        final String detail;
        final boolean close;

        Refusal(HttpResponseStatus status, String detail, boolean close) {
            this.status = status;
            this.detail = detail;
            this.close = close;
        }
    }

    /**
     * The {@link Refusal} for a valid head the proxy still does not take (a version it does not speak, a
     * Transfer-Encoding it cannot frame, CONNECT where no forward proxy is, an Expect other than
     * 100-continue); null when it takes it.
     */
    static Refusal refusal(HttpRequest request, boolean forwardProxy) {
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1) {
            return Refusal.HTTP_VERSION;
        }
        if (unsupportedTransferEncoding(request.headers())) {
            return Refusal.TRANSFER_ENCODING;
        }
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
            return Refusal.HTTP_MINOR_VERSION;
        }
        if (request.method() == HttpMethod.CONNECT && !forwardProxy) {
            return Refusal.CONNECT;
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
            return Refusal.EXPECTATION;
        }
        return null;
    }

    /** The answer to a head the decoder failed on with {@code cause}. */
    static Refusal undecodable(HttpRequest request, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            return Refusal.HEAD_TOO_LARGE;
        }
        if (unsupportedTransferEncoding(request.headers())
                && request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING).size() == 1) {
            return Refusal.TRANSFER_ENCODING; // Netty refuses a coding list that does not end in chunked
        }
        return Refusal.MALFORMED;
    }

    /**
     * More than one Host field line, or a Host value the upstream may read otherwise (RFC 9112 §3.2), as the
     * client sent them; null when they are fine or absent. Every request form, CONNECT's authority-form too.
     */
    static String hostProblem(HttpHeaders headers) {
        int hosts = headers.getAll(HttpHeaderNames.HOST).size();
        if (hosts > 1) {
            return "more than one Host header";
        }
        return validHost(headers.get(HttpHeaderNames.HOST)) ? null : "bad Host header";
    }

    /**
     * Anything but exactly {@code chunked} (the final and only coding) is answered 501, as nginx does: a
     * coding the proxy would drop ({@code gzip, chunked}) or one read differently upstream ({@code identity,
     * chunked}) must not pass.
     */
    static boolean unsupportedTransferEncoding(HttpHeaders headers) {
        String te = headers.get(HttpHeaderNames.TRANSFER_ENCODING);
        return te != null && !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(te.trim());
    }

    /**
     * A Host (or absolute-form authority) the upstream reads as we do: {@code uri-host [":" port]} of RFC 3986
     * whose name is letters, digits, '-', '.' and '_' (or an IP literal in brackets): no userinfo, no path, no
     * spaces, no sub-delims. Empty is allowed (RFC 9112 §3.2); null (absent) is checked elsewhere.
     */
    static boolean validHost(String host) {
        if (host == null) {
            return true;
        }
        int n = host.length();
        int i = 0;
        if (n > 0 && host.charAt(0) == '[') {
            int close = host.indexOf(']');
            if (close < 0) {
                return false;
            }
            for (i = 1; i < close; i++) {
                char c = host.charAt(i);
                if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0 && c < 0x80)) {
                    return false;
                }
            }
            i = close + 1;
        } else {
            for (; i < n && host.charAt(i) != ':'; i++) {
                char c = host.charAt(i);
                // a DNS name or IPv4 address: RFC 3986's other reg-name characters (sub-delims, '~', '%') name no
                // host, and "evil.com,a.internal.example" matched the wildcard route *.internal.example
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '.' || c == '_';
                if (!ok) {
                    return false;
                }
            }
        }
        if (i == n) {
            return true;
        }
        if (host.charAt(i) != ':') {
            return false;
        }
        for (i++; i < n; i++) {
            char c = host.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
