package io.sluice.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.pool.ConnectionPool;
import java.util.concurrent.TimeUnit;

/**
 * The last handler of an upstream connection. While a request is on it, it hands every response
 * message to that {@link ProxyCall}; while it sits in a pool it only watches for the connection
 * closing or idling out. Runs on the same event loop as the downstream connection that uses it.
 *
 * <p>It keeps the connection's one timer: the idle timeout while pooled, the response timeout while a
 * request waits for its head, the read timeout between two reads of a response body (time spent waiting
 * for a slow client to take what was read does not count). The timer is a deadline checked by at most one scheduled task, re-armed
 * lazily (as Netty's IdleStateHandler does), so a busy keep-alive connection schedules about one task
 * per timeout period rather than one per request.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private static final int NONE = 0;
    private static final int IDLE = 1;
    private static final int RESPONSE = 2;
    private static final int READ = 3;
    private static final String GRPC_STATUS = "grpc-status";

    private final long idleNanos;
    private final Runnable checkTimer = this::checkTimer;
    private ChannelHandlerContext ctx;
    private ProxyCall call;
    private ConnectionPool pool;
    private int timerKind = NONE;
    private long deadline;
    private ScheduledFuture<?> timer;
    private long timerAt;
    private long readNanos;

    UpstreamHandler(long idleNanos) {
        this.idleNanos = idleNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    void attach(ProxyCall call) {
        this.call = call;
        this.pool = null;
        timerKind = NONE;
    }

    /** Parks the connection in {@code pool}; it leaves the pool by {@link #attach} or by closing. */
    void park(ConnectionPool pool) {
        this.call = null;
        this.pool = pool;
        arm(IDLE, idleNanos);
    }

    void detach() {
        this.call = null;
        timerKind = NONE;
    }

    /** The whole request is written: its response head is due within {@code nanos}. */
    void awaitResponse(long nanos) {
        arm(RESPONSE, nanos);
    }

    /** The response head arrived: from now on, each read of its body is due within {@code readNanos}. */
    void responseArrived(long readNanos) {
        this.readNanos = readNanos;
        arm(READ, readNanos);
    }

    /** Reading resumes after a pause the client caused: the read timeout counts from now, not from the last read. */
    void readResumed() {
        if (timerKind == READ) {
            deadline = System.nanoTime() + readNanos;
        }
    }

    private void arm(int kind, long nanos) {
        timerKind = kind;
        deadline = System.nanoTime() + nanos;
        if (timer == null || deadline - timerAt < 0) {
            if (timer != null) {
                timer.cancel(false);
            }
            timerAt = deadline;
            timer = ctx.executor().schedule(checkTimer, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void checkTimer() {
        timer = null;
        if (timerKind == NONE || !ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (timerKind == READ && call != null && call.waitingOnClient()) {
            deadline = now + readNanos; // not reading because the client is slow: not the upstream's fault
        }
        long left = deadline - now;
        if (left > 0) {
            timerAt = deadline;
            timer = ctx.executor().schedule(checkTimer, left, TimeUnit.NANOSECONDS);
            return;
        }
        int kind = timerKind;
        timerKind = NONE;
        if (kind == IDLE) {
            ctx.close(); // unused in the pool for timeouts.idle
        } else if (kind == READ && call != null) {
            call.readTimedOut();
        } else if (call != null) {
            call.responseTimedOut();
        }
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
        if (timerKind == READ) {
            deadline = System.nanoTime() + readNanos; // the lazily re-armed timer picks this up when it fires
        }
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
    public void channelInactive(ChannelHandlerContext ctx) {
        timerKind = NONE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
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

    /** The connection becomes a tunnel (after a 101): no more timers. */
    void stopTimers() {
        timerKind = NONE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
