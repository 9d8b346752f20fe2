package io.sluice.response;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.exchange.RequestId;
import io.sluice.filter.api.Reply;

/**
 * The proxy's own answers (404, 502, 503, 504, 400, 431, ...): a short plain-text body naming the
 * problem, and the request's X-Request-ID so a user can find it in the logs.
 */
public final class LocalReplies {
    private static final io.netty.util.AsciiString TEXT_PLAIN_UTF_8 = io.netty.util.AsciiString.cached("text/plain; charset=utf-8");
    private LocalReplies() {
    }

    /** A filter's answer: the standard text for a {@link Reply#text} one, else its own body and headers. */
    public static FullHttpResponse create(ByteBufAllocator alloc, Reply reply, CharSequence requestId) {
        FullHttpResponse response;
        if (reply.isPlainText()) {
            response = create(alloc, HttpResponseStatus.valueOf(reply.status()), reply.detail(), requestId, false);
        } else {
            byte[] body = reply.body();
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()),
                    body.length == 0 ? alloc.buffer(0) : alloc.buffer(body.length).writeBytes(body));
            if (reply.status() != 204 && reply.status() != 304) { // no body, and no length of one (RFC 9110 §8.6)
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            }
        }
        for (java.util.Map.Entry<String, String> h : reply.headers()) {
            response.headers().add(h.getKey(), h.getValue());
        }
        return response;
    }

    public static FullHttpResponse create(ByteBufAllocator alloc, HttpResponseStatus status, String detail,
                                          CharSequence requestId, boolean close) {
        String text = status.code() + " " + status.reasonPhrase() + (detail == null ? "" : ": " + detail) + "\n";
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                ByteBufUtil.writeUtf8(alloc, text));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN_UTF_8)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        if (requestId != null) {
            response.headers().set(RequestId.HEADER, requestId);
        }
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
