package io.sluice.accept;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.util.AsciiString;

/**
 * h2c by Upgrade (RFC 7540 §3.2) on an http listener: a bodiless request with {@code Upgrade: h2c} and
 * {@code HTTP2-Settings} gets a 101, the HTTP/1.1 handlers go, the HTTP/2 ones come, and the request is
 * answered as stream 1. Every other request, WebSocket upgrades included, passes through untouched.
 */
final class H2cUpgrade {
    private static final AsciiString H2C = AsciiString.cached(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME.toString());

    private H2cUpgrade() {
    }

    static HttpServerUpgradeHandler create(HttpListenerInitializer pipelines) {
        HttpServerUpgradeHandler.SourceCodec http1 = new HttpServerUpgradeHandler.SourceCodec() {
            @Override
            public void upgradeFrom(ChannelHandlerContext ctx) {
                ChannelPipeline p = ctx.pipeline();
                p.remove("decoder");
                p.remove("encoder");
                p.remove("downstream");
                p.channel().config().setAutoRead(true);
            }
        };
        HttpServerUpgradeHandler.UpgradeCodecFactory factory = protocol -> {
            if (!H2C.contentEqualsIgnoreCase(protocol)) {
                return null;
            }
            Http2FrameCodec codec = Http2Pipeline.frameCodec(pipelines.listener());
            return new Http2ServerUpgradeCodec(codec, Http2Pipeline.afterCodec(pipelines.listener(), codec,
                    pipelines::initStreamForUpgrade));
        };
        return new HttpServerUpgradeHandler(http1, factory, 0) {
            @Override
            protected boolean shouldHandleUpgradeRequest(HttpRequest req) {
                String upgrade = req.headers().get(HttpHeaderNames.UPGRADE);
                return upgrade != null && upgrade.trim().equalsIgnoreCase("h2c")
                        && !HttpUtil.isTransferEncodingChunked(req) && HttpUtil.getContentLength(req, 0L) == 0
                        && super.shouldHandleUpgradeRequest(req);
            }
        };
    }
}
