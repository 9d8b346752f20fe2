package io.sluice.accept;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.sluice.metrics.ObservedMetrics;

/**
 * First in a client connection's pipeline: counts the bytes read and written (as on the wire) and the
 * connection itself. {@link DownstreamHandler} takes the byte counts per exchange. Owned by the
 * connection's event loop; plain fields.
 */
final class ConnectionMeter extends ChannelDuplexHandler {
    private final ObservedMetrics.ListenerMetrics connections;
    private long read;
    private long written;
    private boolean counted;

    ConnectionMeter(ObservedMetrics.ListenerMetrics connections) {
        this.connections = connections;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        counted = true;
        connections.opened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            connections.closed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        read += size(msg);
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        written += size(msg);
        ctx.write(msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        if (msg instanceof FileRegion region) {
            return region.count() - region.transferred();
        }
        return 0;
    }

    /** Bytes read since the last call (or the connection opened). */
    long takeRead() {
        long n = read;
        read = 0;
        return n;
    }

    /** Bytes written since the last {@link #takeWritten}. */
    long written() {
        return written;
    }

    /** Bytes written since the last call. */
    long takeWritten() {
        long n = written;
        written = 0;
        return n;
    }
}
