package io.sluice.accept;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
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

    /**
     * The request asks for an upgrade (Upgrade, and Connection naming it); it goes upstream as it is. An
     * {@code h2c} offer is this hop's own (RFC 7540 §3.2; {@link H2cUpgrade} takes it or the request is served
     * as HTTP/1.1): {@code h2c} leaves the Upgrade list, and {@code HTTP2-Settings} goes with any Upgrade, so
     * that an upstream cannot switch the connection to h2 behind the client's HTTP/1.1 back.
     */
    static boolean requested(HttpHeaders headers) {
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        if (upgrade == null) {
            return false; // nearly every request: one lookup
        }
        headers.remove(HTTP2_SETTINGS);
        if (AsciiString.indexOfIgnoreCaseAscii(upgrade, H2C, 0) >= 0) {
            upgrade = withoutH2c(upgrade);
            if (upgrade.isEmpty()) {
                headers.remove(HttpHeaderNames.UPGRADE);
                return false;
            }
            headers.set(HttpHeaderNames.UPGRADE, upgrade);
        }
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
    private static final AsciiString H2C = AsciiString.cached("h2c");

    /** An Upgrade list without its {@code h2c} members: "websocket, h2c" → "websocket"; "h2c" → "". */
    static String withoutH2c(String upgrade) {
        StringBuilder kept = new StringBuilder(upgrade.length());
        for (String protocol : upgrade.split(",")) {
            String p = protocol.trim();
            if (!p.isEmpty() && !p.equalsIgnoreCase("h2c")) {
                kept.append(kept.length() == 0 ? "" : ", ").append(p);
            }
        }
        return kept.toString();
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
