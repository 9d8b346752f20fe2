package io.sluice.tcp;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Copies bytes from its channel to a peer channel, reading only while the peer can take more: a slow
 * reader on one side slows the writer on the other instead of filling the heap. Two of them, one on each
 * channel, make a tunnel (tcp listeners, and HTTP connections after a 101). Both channels have auto-read
 * off and share one event loop.
 */
public final class RelayHandler extends ChannelInboundHandlerAdapter {
    private final Channel peer;
    private final Runnable onClose;

    /** @param onClose run once when this side closes (may be null) */
    public RelayHandler(Channel peer, Runnable onClose) {
        this.peer = peer;
        this.onClose = onClose;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // A side that sends its FIN (a client that is done sending and waits for the answer) half-closes the
        // tunnel: the FIN is passed on, and the other direction goes on (below). Without this option Netty
        // closes the channel on the FIN, and the answer was lost (found by a review).
        ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (peer.isWritable()) {
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // This channel drained its outbound buffer: the peer may read again.
        if (ctx.channel().isWritable()) {
            peer.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(peer);
        if (onClose != null) {
            onClose.run();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close(); // a tcp listener's idle_timeout: nothing either way for too long; the peer follows
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent) {
            // This side half-closed (a client connection accepts half-closure): pass the FIN on once what
            // it sent has gone out, and keep relaying the other way until the peer is done too.
            if (peer instanceof DuplexChannel duplex && peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> duplex.shutdownOutput().addListener(g -> {
                    if (duplex.isInputShutdown()) {
                        duplex.close(); // its own FIN came earlier: both ways are done
                    }
                }));
            } else {
                closeOnFlush(peer);
            }
            if (ctx.channel() instanceof DuplexChannel self && self.isOutputShutdown()) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /**
     * How long the side still open may go without sending anything of what its partner left, once the partner
     * closed, before it is closed anyway: a peer that stopped reading must not keep a socket, its buffered bytes
     * and the tunnel's accounting forever (found by a review: nothing else timed that side).
     */
    static final long CLOSE_LINGER_SECONDS = 30;

    /**
     * Closes {@code channel} once everything written to it has gone out, or when none of it has moved for
     * {@link #CLOSE_LINGER_SECONDS} (the relay on it closes on the idle event).
     */
    public static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            if (channel.pipeline().get("linger") == null) {
                channel.pipeline().addFirst("linger",
                        new IdleStateHandler(true, 0, CLOSE_LINGER_SECONDS, 0, TimeUnit.SECONDS));
            }
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
