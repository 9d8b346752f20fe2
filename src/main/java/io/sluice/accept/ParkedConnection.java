package io.sluice.accept;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/1.1 client connection parked between two requests: the decoder, the encoder and the
 * {@link DownstreamHandler} are gone and this stands in the handler's place, so an idle keep-alive
 * connection holds little more than its channel (the way nginx frees a keep-alive connection's buffers):
 * the codec and the handler were most of what an idle connection held, and the decoder's line buffer grows
 * with the longest header line it has seen. A connection is parked ({@link #park}) when it has waited
 * {@link DownstreamHandler#PARK_AFTER_NANOS} for its next request with nothing of it read and nothing of
 * the last response still on its way; waiting a little first keeps a busy connection from building a new
 * codec per request. It keeps the timeout the connection is
 * under (keep-alive {@code idle}, or {@code request_head} before a first request) with one timer, closes
 * the connection on a drain, and when the next bytes come puts a new codec and handler back and hands the
 * bytes to the decoder. Owned by the connection's event loop.
 */
final class ParkedConnection extends ChannelInboundHandlerAdapter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ParkedConnection.class);

    private final HttpListenerInitializer pipelines;
    private final long waitingSince;
    private final boolean servedOne;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;

    /** {@code waitingSince}: the end of the last response (or the accept); {@code servedOne}: a response went out. */
    ParkedConnection(HttpListenerInitializer pipelines, long waitingSince, boolean servedOne) {
        this.pipelines = pipelines;
        this.waitingSince = waitingSince;
        this.servedOne = servedOne;
    }

    /**
     * Parks the connection of {@code handler} (at {@code ctx}): its codec and the handler go, a
     * ParkedConnection comes. False when a response is still on its way out (then nothing changed); the
     * handler has checked that nothing of a next request was read.
     */
    static boolean park(ChannelHandlerContext ctx, StrictRequestDecoder decoder, HttpListenerInitializer pipelines,
                        long waitingSince, boolean servedOne) {
        if (!decoder.idle() || !ctx.channel().isWritable()) {
            return false;
        }
        io.netty.channel.ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        if (out != null && !out.isEmpty()) {
            return false;
        }
        ChannelPipeline p = ctx.pipeline();
        p.remove(decoder);
        p.remove("encoder");
        if (p.get("h2c") != null) {
            p.remove("h2c"); // an h2c request that was not upgraded left it
        }
        p.replace(ctx.handler(), "downstream", new ParkedConnection(pipelines, waitingSince, servedOne));
        return true;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        pipelines.listener().observer().connections().parked();
        run();
    }

    /** The timer: closes the connection when it has waited too long, else looks again at the deadline. */
    @Override
    public void run() {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        ListenerContext.ClientTimeouts t = pipelines.listener().clientTimeouts(); // as in force now (a reload)
        long left = waitingSince + (servedOne ? t.idle() : t.requestHead()) - System.nanoTime();
        if (left <= 0) {
            pipelines.listener().observer().connections().timedOut(servedOne ? "idle" : "request_head");
            ctx.close(); // nothing of a request arrived: close without an answer, as nginx and HAProxy do
        } else {
            timer = ctx.executor().schedule(this, left, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        // The next request's first bytes: a new codec where the old one was, a handler in this one's place
        // (it takes over the timeouts), then the bytes go to the decoder as if they had come through it; it
        // passes what it decodes on to the new handler.
        cancelTimer();
        ChannelPipeline p = ctx.pipeline();
        StrictRequestDecoder decoder = pipelines.restoreHttp1Codec(p);
        p.replace(this, "downstream", new DownstreamHandler(pipelines, waitingSince, servedOne));
        decoder.channelRead(p.context(decoder), bytes);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DrainEvent.INSTANCE) {
            ctx.close(); // the proxy stops: an idle connection closes at once
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("idle client connection {} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
        pipelines.listener().observer().connections().woken(); // woken by its next bytes, or closed
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
