package io.sluice.accept;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.util.List;

/**
 * Netty's h2-stream-to-HTTP/1.1 codec (server side), except for a request that ends with its HEADERS frame
 * (a GET, say): Netty allocates its empty body before converting the headers and loses that buffer when the
 * conversion refuses them (a {@code :method} that is not a token, a {@code :path} with a space, CONNECT
 * without {@code :authority}), a leak CI's timed fuzzing found. Here such a request gets the shared empty
 * buffer: nothing to lose, and no allocation for a bodiless request. One instance for every stream (the
 * codec keeps no state of its own).
 */
@ChannelHandler.Sharable
final class Http2ToHttp1Codec extends Http2StreamFrameToHttpObjectCodec {
    static final Http2ToHttp1Codec INSTANCE = new Http2ToHttp1Codec();

    private Http2ToHttp1Codec() {
        super(true);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Http2StreamFrame frame, List<Object> out) throws Exception {
        if (frame instanceof Http2HeadersFrame headersFrame && headersFrame.isEndStream()) {
            Http2Headers headers = headersFrame.headers();
            if (headers.method() != null && headers.status() == null) {
                int id = headersFrame.stream() == null ? 0 : headersFrame.stream().id();
                out.add(HttpConversionUtil.toFullHttpRequest(id, headers, Unpooled.EMPTY_BUFFER, true));
                return;
            }
        }
        super.decode(ctx, frame, out);
    }
}
