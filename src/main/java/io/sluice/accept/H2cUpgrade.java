package io.sluice.accept;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
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
 * answered as stream 1. Every other request, WebSocket upgrades included, passes through untouched; so does
 * one pipelined behind a request still in progress, whose HTTP/1.1 answer must come first.
 *
 * <p>One instance per listener, shared by its connections. Netty's upgrade handler is an aggregator, too
 * heavy to sit in every connection's pipeline for a request that almost never comes, so the decoder
 * calls {@link #offer} with each request head and the handler is put in only for a request that asks
 * for h2c; it handles that one request (upgrading or passing it on) and removes itself.
 */
final class H2cUpgrade {
    private static final AsciiString H2C = AsciiString.cached(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME.toString());

    private final HttpListenerInitializer pipelines;
    private final HttpServerUpgradeHandler.SourceCodec http1 = this::removeHttp1;
    private final HttpServerUpgradeHandler.UpgradeCodecFactory factory = this::upgradeCodec;

    H2cUpgrade(HttpListenerInitializer pipelines) {
        this.pipelines = pipelines;
    }

    /**
     * Called by the decoder (whose context is {@code decoder}) with each request head before it passes
     * it on: a request that asks for h2c finds the upgrade handler after the encoder.
     */
    void offer(ChannelHandlerContext decoder, HttpRequest request) {
        String upgrade = request.headers().get(HttpHeaderNames.UPGRADE);
        if (upgrade == null || !upgrade.trim().equalsIgnoreCase("h2c")
                || request.protocolVersion() != io.netty.handler.codec.http.HttpVersion.HTTP_1_1 // RFC 7540 §3.2
                || HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) != 0) {
            return; // not for us (the proxy would have to hold a body): an ordinary request
        }
        if (!request.uri().startsWith("/")) {
            return; // absolute-form (a forward proxy's request) stays HTTP/1.1; and validate() below would turn it
                    // into origin-form before the forward proxy reads its target
        }
        if (RequestChecks.validate(request) != null) {
            return; // a bad request is not upgraded: it goes on as HTTP/1.1 and gets its 400 (found by fuzzing:
                    // two Host fields were forwarded over the upgraded stream)
        }
        ChannelPipeline p = decoder.pipeline();
        if (p.get("downstream") instanceof DownstreamHandler d && !d.idle()) {
            return; // pipelined behind a request still in progress: answered as HTTP/1.1, in its turn
        }
        if (p.get("h2c") == null) {
            p.addAfter("encoder", "h2c", new HttpServerUpgradeHandler(http1, factory, 0,
                    DefaultHttpHeadersFactory.headersFactory(), DefaultHttpHeadersFactory.trailersFactory(),
                    true)); // removes itself after this request, upgraded or not
        }
    }

    private void removeHttp1(ChannelHandlerContext ctx) {
        ChannelPipeline p = ctx.pipeline();
        p.remove("decoder");
        p.remove("encoder");
        p.remove("downstream");
        p.channel().config().setAutoRead(true);
    }

    private HttpServerUpgradeHandler.UpgradeCodec upgradeCodec(CharSequence protocol) {
        if (!H2C.contentEqualsIgnoreCase(protocol)) {
            return null;
        }
        Http2FrameCodec codec = Http2Pipeline.frameCodec(pipelines.listener());
        return new Http2ServerUpgradeCodec(codec, Http2Pipeline.afterCodec(pipelines.listener(), codec,
                pipelines::initStreamForUpgrade));
    }
}
