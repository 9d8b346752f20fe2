package io.sluice.accept;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.sluice.tcp.RelayHandler;

/**
 * A request that may turn its connection into a byte tunnel (an {@code Upgrade} such as WebSocket, which the
 * upstream accepts with 101; a forward proxy's CONNECT), and the switch itself: from then on neither side
 * speaks HTTP, so both pipelines lose their codecs and relay bytes unchanged. Kept apart from the request
 * path because it is pipeline surgery on two connections at once; stateless.
 */
final class Upgrades {
    private Upgrades() {
    }

    /** The request asks for an upgrade (Upgrade, and Connection naming it); it goes upstream as it is. */
    static boolean requested(HttpHeaders headers) {
        return headers.contains(HttpHeaderNames.UPGRADE)
                && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /**
     * Puts a {@link RelayHandler} in place of the client's handler ({@code ctx}) and of the upstream's
     * "proxy" handler, removes the HTTP codecs on both sides and reads on. {@code after101}: the client's
     * encoder still waits for the end of the 101 it wrote (a forward proxy's CONNECT answer was written whole).
     */
    static void switchToTunnel(ChannelHandlerContext ctx, boolean after101, Channel upstream, Runnable onClose) {
        if (after101) {
            // the upstream's bytes go through the relay now, not as the 101's body
            ctx.write(LastHttpContent.EMPTY_LAST_CONTENT, ctx.voidPromise());
        }
        ctx.flush();
        Channel client = ctx.channel();
        ChannelPipeline up = upstream.pipeline();
        up.replace("proxy", "relay", new RelayHandler(client, onClose));
        ChannelPipeline down = client.pipeline();
        down.replace(ctx.handler(), "relay", new RelayHandler(upstream, null));
        down.remove("encoder");
        up.remove("http");      // bytes the upstream sent after the 101 go to the client now
        down.remove("decoder"); // and bytes the client sent after its request go upstream
    }
}
