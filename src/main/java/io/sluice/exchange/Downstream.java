package io.sluice.exchange;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The client side of one exchange, as the stage that answers it (forwarding) sees it: a response sink
 * (head, body parts, flush) and the few decisions that belong to the connection. Every response head goes
 * through {@link #sendHead}, where the route's response headers, the filters and the framing are applied.
 */
public interface Downstream {

    /** The client connection's event loop: the exchange and everything it starts run on it. */
    EventLoop eventLoop();

    /** The allocator of the client's connection (a mirror's copy of the request body comes from it). */
    ByteBufAllocator alloc();

    /** Whether the client came through TLS: an https listener's, whatever the protocol (HTTP/1.1, h2, HTTP/3). */
    boolean secure();

    /** The client's channel (its addresses name the client in a PROXY protocol header sent upstream). */
    Channel clientChannel();

    /** Asks for more of the request body (the upstream can take it again). */
    void resumeReading();

    /**
     * Whether a read of the client's bytes is being handled now. It ends by flushing what was written upstream
     * meanwhile, so a request head written now can wait for its body parts from the same read and go out in
     * one write with them.
     */
    boolean readInProgress();

    /**
     * The final response head: finished on the one path every response takes (response_headers, filters in
     * reverse, X-Request-ID, framing, Connection) and written, not flushed.
     */
    void sendHead(HttpResponse head);

    /** A 1xx other than 100 (e.g. 103 Early Hints), passed on as it is. */
    void sendInterim(HttpResponse interim);

    /** A part of the response body (through the response body filters, when there are some); not flushed. */
    void sendContent(HttpContent part);

    void flush();

    /** Whether the client is taking what is written (else the upstream is not read further). */
    boolean isWritable();

    /** Bytes written to the client and not yet sent (the response window's fill). */
    long pendingWriteBytes();

    /** The response's last part has been written: account for it and go on with the next request. */
    void responseFinished(Exchange exchange);

    /** Answers with the proxy's own reply (no response may have started) and finishes the exchange. */
    void replyLocal(Exchange exchange, HttpResponseStatus status, String detail);

    /** Breaks the connection: a response that started can't be completed, so the client must not see it as whole. */
    void abort(Exchange exchange);

    /** The upstream answered 101: from now on bytes flow unchanged between the client and {@code upstream}. */
    void switchToTunnel(Exchange exchange, Channel upstream, Runnable onClose);
}
