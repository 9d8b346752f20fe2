package io.sluice.accept;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * First handler of an http listener's connections: HTTP/2 with prior knowledge (RFC 9113 §3.3) starts with
 * the 24-byte connection preface, which no HTTP/1.1 request line can start with. Waits for as many bytes
 * as it takes to tell, puts in the matching pipeline and steps aside; the bytes read so far go on to it.
 *
 * <p>A connection that sends nothing (or not enough to tell) within {@code client_timeouts.request_head}
 * is closed: before this handler steps aside, no other handler times the client.
 */
final class PrefaceSniffer extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

    private final HttpListenerInitializer pipelines;
    private ScheduledFuture<?> timeout;

    PrefaceSniffer(HttpListenerInitializer pipelines) {
        this.pipelines = pipelines;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx);
        timeout = ctx.executor().schedule(() -> {
            pipelines.listener().observer().connections().timedOut("request_head");
            ctx.close(); // nothing to answer: no request was made
        }, pipelines.listener().clientTimeouts().requestHead(), TimeUnit.NANOSECONDS);
        ctx.read();
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.readableBytes());
        boolean prefix = n > 0 && io.netty.buffer.ByteBufUtil.equals(in, in.readerIndex(), PREFACE, 0, n);
        if (prefix && n < PREFACE.readableBytes()) {
            return; // maybe h2: ByteToMessageDecoder asks for more (auto-read is off)
        }
        if (n == 0) {
            return;
        }
        if (prefix) {
            pipelines.addHttp2(ctx.pipeline());
        } else {
            pipelines.addHttp1(ctx.pipeline());
        }
        ctx.pipeline().remove(this);
    }
}
