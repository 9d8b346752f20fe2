package io.sluice.upstream;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.sluice.config.MirrorConfig;
import io.sluice.metrics.MirrorStats;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code mirror:} on a route: a copy of some of the route's requests also goes to another upstream, and its
 * answer is thrown away. Built once per configuration; shared by every event loop (atomics only).
 *
 * <p>What the client gets never depends on the copy. The copy's body is copied (not shared) into a buffer
 * of at most {@code max_body} as the client's parts go by, and sent only when complete, on a connection of
 * its own, from the client connection's event loop; nothing of the client's path waits for it. Copies
 * that cannot keep up are dropped and counted: one whose body is larger than {@code max_body} (known from
 * Content-Length at once, or when a chunked body grows past it), and any beyond {@code max_in_flight}
 * copies under way for this route (collecting their body or waiting for their answer). So a mirror holds
 * at most max_in_flight × max_body of memory per route, and a slow or absent mirror upstream costs one
 * connection attempt per copy until the in-flight copies time out (its {@code timeouts.connect} plus
 * {@code timeouts.response}).
 *
 * <p>Which requests: {@code percent} of them, exactly and evenly (request n is copied when
 * floor(n × share) moves), not at random. Upgrade requests (WebSocket) are never copied; a request that
 * only offers h2c is copied as a plain request.
 */
public final class Mirror {
    private final Upstream target;
    private final double share;
    private final long maxBody;
    private final int maxInFlight;
    private final AtomicLong seen = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();

    public Mirror(MirrorConfig config, Upstream target) {
        this.target = target;
        this.share = config.share();
        this.maxBody = config.maxBody();
        this.maxInFlight = config.maxInFlight();
    }

    public Upstream target() {
        return target;
    }

    /** Copies under way now. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Starts a copy of {@code head} (as it goes upstream, before an endpoint's base path), or returns null
     * when this request is not copied. The caller feeds it the body with {@link MirrorCall#onBody} and
     * {@link MirrorCall#cancel}s it if the body will not complete.
     */
    MirrorCall copy(HttpRequest head, EventLoop loop, ByteBufAllocator alloc, io.netty.channel.Channel client) {
        String upgrade = head.headers().get(HttpHeaderNames.UPGRADE);
        if ((upgrade != null && !upgrade.equalsIgnoreCase("h2c")) || !sampled()) {
            return null; // a tunnel (WebSocket) cannot be copied
        }
        MirrorStats stats = target.mirrorStats();
        if (HttpUtil.getContentLength(head, -1L) > maxBody) {
            stats.droppedBody.increment();
            return null;
        }
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            stats.droppedBusy.increment();
            return null;
        }
        HttpRequest copy = new DefaultHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                head.headers().copy());
        if (upgrade != null) {
            // A client's offer of h2c (the JDK's HttpClient makes it): the copy is a plain request.
            copy.headers().remove(HttpHeaderNames.UPGRADE).remove(HttpHeaderNames.CONNECTION).remove("HTTP2-Settings");
        }
        return new MirrorCall(this, copy, loop, alloc, maxBody, client);
    }

    private boolean sampled() {
        if (share >= 1) {
            return true;
        }
        if (share <= 0) {
            return false;
        }
        long n = seen.getAndIncrement();
        return (long) ((n + 1) * share) != (long) (n * share);
    }

    /** A copy ended (sent and answered, failed, dropped): its place is free. */
    void finished() {
        inFlight.decrementAndGet();
    }
}
