package io.sluice.exchange;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;

/** The client connection, as the stages that answer a request (forwarding, local replies) use it. */
public interface Downstream {

    /** The context of the handler that owns the exchange; writes go through it. */
    ChannelHandlerContext ctx();

    /** Asks for more of the request body (the upstream can take it again). */
    void resumeReading();

    /** The response's last part has been written: account for it and go on with the next request. */
    void responseFinished(Exchange exchange);

    /** Answers with the proxy's own reply (no response may have started) and finishes the exchange. */
    void replyLocal(Exchange exchange, HttpResponseStatus status, String detail);

    /** Breaks the connection: a response that started can't be completed, so the client must not see it as whole. */
    void abort(Exchange exchange);

    /** The upstream answered 101: from now on bytes flow unchanged between the client and {@code upstream}. */
    void switchToTunnel(Exchange exchange, Channel upstream, Runnable onClose);
}
