package io.sluice.accept;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http3.HttpConversionUtil;
import io.netty.util.AsciiString;

/**
 * After Netty's HTTP/3-to-HTTP/1.1 codec. It takes out the conversion's {@code x-http3-*} fields. And it holds a
 * head the codec marked chunked (every head without {@code content-length}: the end of an HTTP/3 request stream
 * comes apart from its HEADERS frame) until it knows more: the end of the stream with no body makes it a
 * bodiless request (a GET goes upstream as a GET, not with an empty chunked body); a body lets it go on chunked.
 *
 * <p>The codec passes the end of the stream on when the stream's input shuts down, an event outside any read;
 * the handler after this one sends what it read upstream at the end of a read, so one is ended here then.
 */
final class Http3RequestHead extends ChannelInboundHandlerAdapter {
    private HttpRequest held;
    private boolean readSinceComplete;

    /**
     * The conversion's own fields ({@code x-http3-stream-id}, {@code x-http3-scheme}, ...): they describe this
     * hop's stream, and a client that sends them steers nothing. Never forwarded, as the {@code x-http2-*} ones.
     */
    private static final AsciiString[] EXTENSION = {
        HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(), HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(),
        HttpConversionUtil.ExtensionHeaderNames.PATH.text(),
        HttpConversionUtil.ExtensionHeaderNames.STREAM_PROMISE_ID.text(),
        HttpConversionUtil.ExtensionHeaderNames.PROTOCOL.text(),
    };

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readSinceComplete = true;
        if (msg instanceof HttpRequest request) {
            for (AsciiString name : EXTENSION) {
                request.headers().remove(name);
            }
        }
        if (held == null && msg instanceof HttpRequest request && !(msg instanceof HttpContent)
                && request.headers().containsValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED, true)) {
            held = request;
            return;
        }
        if (held != null) {
            HttpRequest head = held;
            held = null;
            if (msg instanceof LastHttpContent last && !last.content().isReadable() && last.trailingHeaders().isEmpty()) {
                head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            }
            ctx.fireChannelRead(head);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && readSinceComplete) {
            channelReadComplete(ctx); // the request's end came with the event: let it go upstream now
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readSinceComplete = false;
        if (held != null) {
            ctx.read(); // the handler after this one has not seen a request yet: read on for its end or body
        }
        ctx.fireChannelReadComplete();
    }
}
