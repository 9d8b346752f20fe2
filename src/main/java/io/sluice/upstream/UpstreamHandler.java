package io.sluice.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.pool.ConnectionPool;

/**
 * The last handler of an upstream connection. While a request is on it, it hands every response
 * message to that {@link ProxyCall}; while it sits in a pool it only watches for the connection
 * closing or idling out. Runs on the same event loop as the downstream connection that uses it.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private static final String GRPC_STATUS = "grpc-status";
    private ProxyCall call;
    private ConnectionPool pool;

    void attach(ProxyCall call) {
        this.call = call;
        this.pool = null;
    }

    /** Parks the connection in {@code pool}; it leaves the pool by {@link #attach} or by closing. */
    void park(ConnectionPool pool) {
        this.call = null;
        this.pool = pool;
    }

    void detach() {
        this.call = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ProxyCall current = call;
        if (current != null && msg instanceof FullHttpResponse full && full.decoderResult().isSuccess()) {
            // An h2 stream whose HEADERS ended it: head, then the end (a failed HTTP/1.1 decode, also a
            // FullHttpResponse, goes on whole: ProxyCall answers it 502). A gRPC "trailers-only" answer keeps its
            // status fields for the trailers: the client side may be a stream that cannot end on its head.
            io.netty.handler.codec.http.HttpHeaders trailers = full.trailingHeaders();
            if (full.headers().contains(GRPC_STATUS) && full.content().readableBytes() == 0) {
                for (String name : new String[] {GRPC_STATUS, "grpc-message", "grpc-status-details-bin"}) {
                    String value = full.headers().get(name);
                    if (value != null) {
                        trailers.set(name, value);
                        full.headers().remove(name);
                    }
                }
            }
            current.onResponseMessage(new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers()));
            if (call == current) {
                current.onResponseMessage(new DefaultLastHttpContent(full.content(), trailers));
            } else {
                full.release();
            }
        } else if (current != null && msg instanceof HttpObject) {
            current.onResponseMessage((HttpObject) msg);
        } else {
            // A response nobody asked for (or bytes after one): this connection's framing can't be trusted.
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ProxyCall current = call;
        if (current != null) {
            current.onResponseReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ProxyCall current = call;
        if (current != null && ctx.channel().isWritable()) {
            current.onUpstreamWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && call == null) {
            ctx.close(); // idle in the pool for timeouts.idle
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ProxyCall current = call;
        call = null;
        if (current != null) {
            current.onUpstreamClosed(null);
        } else if (pool != null) {
            pool.remove(ctx.channel());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ProxyCall current = call;
        call = null;
        if (current != null) {
            current.onUpstreamClosed(cause);
        }
        ctx.close();
    }
}
