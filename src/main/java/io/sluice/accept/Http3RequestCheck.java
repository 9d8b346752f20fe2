package io.sluice.accept;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http3.Http3ErrorCode;
import io.netty.handler.codec.http3.Http3Exception;
import io.netty.handler.codec.http3.Http3HeadersValidationException;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.quic.QuicException;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First on an HTTP/3 request stream, before Netty turns its frames into an HttpRequest: the same checks as
 * {@link Http2RequestCheck} on the pseudo-header fields (RFC 9114 §4.3.1) and no connection-specific field
 * (transfer-encoding, connection, keep-alive, proxy-connection, upgrade; te other than trailers: §4.2), a malformed request's stream
 * closed with H3_MESSAGE_ERROR (§4.1.2) and nothing of it forwarded; framing and routing fields dropped from
 * trailers, as on the other versions. Protocol errors Netty's codec has answered are logged at debug only.
 */
final class Http3RequestCheck extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http3RequestCheck.class);
    private boolean headSeen;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http3HeadersFrame frame) {
            Http3Headers fields = frame.headers();
            if (!headSeen) {
                headSeen = true;
                String problem = Http2RequestCheck.problem(fields.method(), fields.scheme(), fields.path(),
                        fields.authority());
                if (problem == null) {
                    problem = connectionSpecific(fields);
                }
                if (problem != null) {
                    ReferenceCountUtil.release(msg);
                    log.debug("malformed h3 request on {}: {}", ctx.channel(), problem);
                    ((QuicStreamChannel) ctx.channel()).shutdown(Http3ErrorCode.H3_MESSAGE_ERROR.code())
                            .addListener(f -> ctx.close());
                    return;
                }
            } else { // trailers (RFC 9110 §6.5.1)
                fields.remove(HttpHeaderNames.CONTENT_LENGTH);
                fields.remove(HttpHeaderNames.TRANSFER_ENCODING);
                fields.remove(HttpHeaderNames.HOST);
                fields.remove(HttpHeaderNames.TRAILER);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * RFC 9114 §4.2: a connection-specific field makes the request malformed; TE may only say "trailers".
     * Netty's HTTP/3 codec lets them through, and a transfer-encoding beside a content-length would frame the
     * body upstream two ways. Hash lookups on constant names: nothing allocated for a request without them.
     */
    static String connectionSpecific(Http3Headers fields) {
        if (fields.contains(HttpHeaderNames.TRANSFER_ENCODING) || fields.contains(HttpHeaderNames.CONNECTION)
                || fields.contains(HttpHeaderNames.KEEP_ALIVE) || fields.contains(HttpHeaderNames.PROXY_CONNECTION)
                || fields.contains(HttpHeaderNames.UPGRADE)) {
            return "a connection-specific field";
        }
        CharSequence te = fields.get(HttpHeaderNames.TE);
        if (te != null && !HttpHeaderValues.TRAILERS.contentEqualsIgnoreCase(te)) {
            return "te other than trailers";
        }
        return null;
    }

    /**
     * A client's protocol error (a header section past max_request_head, a bad QPACK block, a field that fails
     * validation): Netty's frame codec has already closed the stream or the connection with its error code.
     * Logged at debug, as a client's bad request is; Netty's handler further on would log it as an error.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http3Exception || cause instanceof Http3HeadersValidationException
                || cause instanceof QuicException) {
            log.debug("h3 stream {} failed: {}", ctx.channel(), cause.toString());
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
