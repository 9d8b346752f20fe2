package io.sluice.accept;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * nginx's lingering close, for an HTTP/1.x connection that ends while its client is still sending a body: after
 * the last response is flushed, the sending side is shut down (the client reads the response, then end of
 * stream) and what still comes is read and dropped until the client closes, for at most {@link #MAX_NANOS},
 * or until nothing has come for {@link #IDLE_NANOS}. Closing with unread bytes in the socket (or more arriving)
 * would make the kernel send a reset, and a client's stack may then drop the response it had not read yet.
 * Made only for such connections; it goes first in the pipeline so that nothing is decoded any more.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {
    static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(30);  // nginx's lingering_time
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(5);  // nginx's lingering_timeout

    private final long deadline = System.nanoTime() + MAX_NANOS;
    private long lastRead = System.nanoTime();
    private ScheduledFuture<?> check;

    /** Shuts down {@code channel}'s output and lingers; a channel that cannot half-close is just closed. */
    static void start(Channel channel) {
        if (!channel.isActive() || !(channel instanceof DuplexChannel duplex)) {
            channel.close();
            return;
        }
        duplex.shutdownOutput().addListener(f -> {
            if (!f.isSuccess() || !channel.isActive()) {
                channel.close();
                return;
            }
            channel.pipeline().addFirst("lingering-close", new LingeringClose());
        });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        check = ctx.executor().schedule(() -> expire(ctx), IDLE_NANOS, TimeUnit.NANOSECONDS);
        ctx.channel().config().setAutoRead(true);
        ctx.read();
    }

    private void expire(ChannelHandlerContext ctx) {
        long now = System.nanoTime();
        long next = Math.min(lastRead + IDLE_NANOS, deadline) - now;
        if (next <= 0) {
            ctx.close();
        } else {
            check = ctx.executor().schedule(() -> expire(ctx), next, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastRead = System.nanoTime();
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // dropped: what is read is no one's any more
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.close(); // the client is done (a half-closing channel; otherwise Netty closes on its own)
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        check.cancel(false);
        super.channelInactive(ctx);
    }
}
