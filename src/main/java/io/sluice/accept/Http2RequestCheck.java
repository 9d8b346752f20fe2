package io.sluice.accept;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First on an HTTP/2 request stream, before Netty turns its frames into an HttpRequest: a request without
 * {@code :method}, {@code :scheme} or {@code :path}, whose {@code :method} is not a token, whose {@code :path}
 * is not origin-form (an absolute URI, say) or holds a space or control byte, or a CONNECT without
 * {@code :authority}, is malformed (RFC 9113 §8.3.1) and its stream is reset with PROTOCOL_ERROR (§8.1.1); nothing of
 * it goes further. Without this, a HEADERS frame with no {@code :method} that ends the stream is taken for
 * trailers and the stream hangs, and an absolute {@code :path} is forwarded.
 *
 * <p>It also keeps the error code of a stream error Netty's codec raises (a malformed content-length, DATA
 * beyond it): the multiplexer resets the stream with that code, which a handler further on closing the
 * stream first would turn into CANCEL.
 */
final class Http2RequestCheck extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2RequestCheck.class);
    private boolean headSeen;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!headSeen && msg instanceof Http2HeadersFrame frame) {
            headSeen = true;
            String problem = problem(frame.headers());
            if (problem != null) {
                ReferenceCountUtil.release(msg);
                log.debug("malformed h2 request on {}: {}", ctx.channel(), problem);
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR));
                ctx.close(); // the reset above is the one sent; the stream is closed already
                return;
            }
        } else if (msg instanceof Http2HeadersFrame trailers) {
            // Trailers may not carry framing or routing (RFC 9110 §6.5.1); on the HTTP/1.1 side a Content-Length
            // there is read by some upstreams (found by fuzzing). Dropped, as the HTTP/1.1 decoder drops them.
            Http2Headers fields = trailers.headers();
            fields.remove(HttpHeaderNames.CONTENT_LENGTH);
            fields.remove(HttpHeaderNames.TRANSFER_ENCODING);
            fields.remove(HttpHeaderNames.HOST);
            fields.remove(HttpHeaderNames.TRAILER);
        }
        ctx.fireChannelRead(msg);
    }

    /** What makes a request's pseudo-header fields malformed (RFC 9113 §8.3.1); null when they are fine. */
    static String problem(Http2Headers headers) {
        CharSequence method = headers.method();
        // :authority is looked up only for a CONNECT, the one request it decides (not for every h2 request)
        return problem(method, headers.scheme(), headers.path(),
                method != null && HttpMethod.CONNECT.asciiName().contentEquals(method) ? headers.authority() : null);
    }

    /** The same for the pseudo-header fields' values, whichever version of HTTP they came in (HTTP/3 too). */
    static String problem(CharSequence method, CharSequence scheme, CharSequence path, CharSequence authority) {
        if (method == null || method.length() == 0) {
            return "no :method";
        }
        if (!token(method)) {
            return ":method is not a token"; // RFC 9110 §9.1 (Netty's conversion refuses it too)
        }
        if (HttpMethod.CONNECT.asciiName().contentEquals(method)) {
            // :authority only (RFC 9113 §8.5); the proxy answers CONNECT with 405
            return authority == null || authority.length() == 0 ? "CONNECT without :authority" : null;
        }
        if (scheme == null || scheme.length() == 0) {
            return "no :scheme";
        }
        if (path == null || path.length() == 0) {
            return "no :path";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c == 0x7f) { // RFC 9112 §3.2 on the HTTP/1.1 side, where this target goes
                return "a space or control byte in :path";
            }
            if (c == '#') { // no fragment in a target (RFC 9113 §8.3.1, RFC 9112 §3.2): routed as less than it says
                return "a fragment in :path";
            }
        }
        if (path.charAt(0) == '/') {
            return null;
        }
        boolean asterisk = path.length() == 1 && path.charAt(0) == '*'
                && HttpMethod.OPTIONS.asciiName().contentEquals(method);
        return asterisk ? null : ":path is neither origin-form nor * (OPTIONS)";
    }

    /** RFC 9110 §5.6.2: {@code 1*tchar}. */
    private static boolean token(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            log.debug("h2 stream {} failed: {}", ctx.channel(), cause.toString());
            return; // the multiplexer resets the stream with the error's own code
        }
        ctx.fireExceptionCaught(cause);
    }
}
