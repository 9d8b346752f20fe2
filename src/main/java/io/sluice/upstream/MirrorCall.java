package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.balance.Endpoint;
import io.sluice.balance.PickContext;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mirrored copy of a request: collects a copy of the body as the client's parts go by, then sends the
 * whole request on a connection of its own and reads the answer only to throw it away. Runs on the client
 * connection's event loop; the client's path only calls {@link #onBody} and {@link #cancel}, which never
 * wait and never throw.
 */
final class MirrorCall extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(MirrorCall.class);

    private final Mirror mirror;
    private final Channel client;
    private final Upstream target;
    private final HttpRequest head;
    private final EventLoop loop;
    private final ByteBufAllocator alloc;
    private final long maxBody;
    private ByteBuf body;
    private boolean collecting = true;
    private boolean ended;
    private Endpoint endpoint;
    private Channel channel;
    private ScheduledFuture<?> deadline;

    /** @param client the client's channel: a target with send_proxy_protocol names the client in its PROXY header */
    MirrorCall(Mirror mirror, HttpRequest head, EventLoop loop, ByteBufAllocator alloc, long maxBody, Channel client) {
        this.client = client;
        this.mirror = mirror;
        this.target = mirror.target();
        this.head = head;
        this.loop = loop;
        this.alloc = alloc;
        this.maxBody = maxBody;
    }

    /** A part of the client's body; the caller keeps ownership of {@code part}. */
    void onBody(HttpContent part) {
        if (!collecting) {
            return;
        }
        ByteBuf content = part.content();
        int n = content.readableBytes();
        if (n > 0) {
            if ((body == null ? 0 : body.readableBytes()) + (long) n > maxBody) {
                drop(target.mirrorStats().droppedBody);
                return;
            }
            if (body == null) {
                body = alloc.buffer(n);
            }
            body.writeBytes(content, content.readerIndex(), n);
        }
        if (part instanceof LastHttpContent) {
            collecting = false;
            try {
                send();
            } catch (RuntimeException e) {
                log.debug("mirror to {}: {}", target.name(), e.toString());
                end(false);
            }
        }
    }

    /** The client's request ends before its body is complete (or is refused): the copy is not sent. */
    void cancel() {
        if (collecting) {
            drop(target.mirrorStats().cancelled);
        }
    }

    private void drop(java.util.concurrent.atomic.LongAdder counter) {
        collecting = false;
        counter.increment();
        releaseBody();
        ended = true;
        mirror.finished();
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private void send() {
        endpoint = target.pick(PickContext.EMPTY);
        if (endpoint == null) {
            end(false);
            return;
        }
        endpoint.requestStarted();
        long timeout = target.config().timeouts().connect().toNanos() + target.config().timeouts().response().toNanos();
        deadline = loop.schedule(this::timedOut, timeout, TimeUnit.NANOSECONDS);
        Future<Channel> open = target.connector().open(loop, endpoint, target, client);
        open.addListener(f -> connected(open));
    }

    private void connected(Future<Channel> open) {
        if (ended) {
            if (open.isSuccess()) {
                open.getNow().close();
            }
            return;
        }
        if (!open.isSuccess()) {
            end(false);
            return;
        }
        channel = open.getNow();
        channel.pipeline().replace("proxy", "mirror", this);
        ByteBuf content = body == null ? Unpooled.EMPTY_BUFFER : body;
        body = null; // the request owns it now
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, head.method(),
                endpoint.target(head.uri()), content, head.headers(), io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
        HttpHeaders headers = request.headers();
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (!headers.contains(HttpHeaderNames.HOST)) {
            headers.set(HttpHeaderNames.HOST, endpoint.authority());
        }
        channel.writeAndFlush(request).addListener(w -> {
            if (!w.isSuccess()) {
                end(false);
            }
        });
        channel.read();
    }

    private void timedOut() {
        if (!ended) {
            end(false);
        }
    }

    /** Ends the copy once: counts it, frees its place, closes its connection. */
    private void end(boolean answered) {
        if (ended) {
            return;
        }
        ended = true;
        (answered ? target.mirrorStats().answered : target.mirrorStats().failed).increment();
        releaseBody();
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (endpoint != null) {
            endpoint.requestFinished();
        }
        if (channel != null) {
            channel.close();
        }
        mirror.finished();
    }

    // ------------------------------------------------------------ the mirror's answer, thrown away

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean last = msg instanceof LastHttpContent;
        ReferenceCountUtil.release(msg);
        if (last) {
            end(true);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!ended) {
            ctx.read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        end(false);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("mirror to {} failed: {}", target.name(), cause.toString());
        end(false);
    }
}
