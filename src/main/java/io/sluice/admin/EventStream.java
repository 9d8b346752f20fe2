package io.sluice.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/events}: Server-Sent Events, one {@code upstreams} event a second whose data is the
 * {@code /api/upstreams} document (with the last-minute stats). The timer runs on the connection's event
 * loop and stops when the connection closes; a viewer that reads too slowly (the channel stays
 * unwritable) skips ticks instead of piling up memory, and one that has read nothing for
 * {@link #UNWRITABLE_TICKS_TO_CLOSE} ticks in a row (30 s) is closed: a tab left in the background
 * or a client that stopped reading would otherwise hold the connection and its timer forever (nginx's
 * send_timeout is the same idea, 60 s by default).
 */
final class EventStream {
    private static final Logger log = LoggerFactory.getLogger(EventStream.class);
    static final long PERIOD_MILLIS = 1000;
    static final int UNWRITABLE_TICKS_TO_CLOSE = 30;
    /** The period and the count in force; tests shorten them instead of waiting 30 s. */
    static volatile long periodMillis = PERIOD_MILLIS;
    static volatile int unwritableTicksToClose = UNWRITABLE_TICKS_TO_CLOSE;
    private static final byte[] HEAD = "event: upstreams\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAIL = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ChannelHandlerContext ctx;
    private final AdminApi api;
    private final int ticksToClose = unwritableTicksToClose;
    private ScheduledFuture<?> timer;
    private int unwritableTicks; // in a row; only the event loop touches it

    private EventStream(ChannelHandlerContext ctx, AdminApi api) {
        this.ctx = ctx;
        this.api = api;
    }

    /** Answers {@code request} with the stream's head and starts the ticks. On the connection's event loop. */
    static void start(ChannelHandlerContext ctx, FullHttpRequest request, AdminApi api) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                .set("X-Accel-Buffering", "no");
        ctx.write(head);
        EventStream stream = new EventStream(ctx, api);
        stream.tick(); // the first event at once: the page has numbers without waiting a second
        long period = periodMillis;
        stream.timer = ctx.executor().scheduleAtFixedRate(stream::tick, period, period, TimeUnit.MILLISECONDS);
        ctx.channel().closeFuture().addListener(f -> stream.timer.cancel(false));
    }

    private void tick() {
        if (!ctx.channel().isActive()) {
            if (timer != null) {
                timer.cancel(false);
            }
            return;
        }
        if (!ctx.channel().isWritable()) {
            if (++unwritableTicks >= ticksToClose) {
                log.info("admin {}: closing the event stream: the viewer has read nothing for {} ticks",
                        ctx.channel().remoteAddress(), unwritableTicks);
                ctx.close(); // the close listener stops the timer
            }
            return; // the viewer is behind: skip this second
        }
        unwritableTicks = 0;
        ByteBuf buf = ctx.alloc().buffer(2048);
        try (OutputStream out = new ByteBufOutputStream(buf)) {
            out.write(HEAD);
            UpstreamsJson.write(api.upstreams.get(), api.metrics, out);
            out.write(TAIL);
        } catch (IOException | RuntimeException e) {
            buf.release();
            log.warn("admin {}: event stream failed: {}", ctx.channel().remoteAddress(), e.toString());
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new DefaultHttpContent(buf)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }
}
