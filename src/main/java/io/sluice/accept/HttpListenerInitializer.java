package io.sluice.accept;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.sluice.tls.ServerTls;
import java.util.ArrayDeque;

/**
 * The pipeline of an http or https listener's connections, in data-path order:
 * <pre>
 *   meter:  (ConnectionMeter)               counts the connection and its bytes (both kinds)
 *   [proxy-protocol] (ProxyProtocolReader)  proxy_protocol: the PROXY header first, before TLS and HTTP
 *   https:  tls (SniHandler → SslHandler)   certificate by SNI
 *           alpn                            h2 → addHttp2, http/1.1 or none → addHttp1
 *   http:   sniff (PrefaceSniffer)          the HTTP/2 preface → addHttp2 (h2c by prior knowledge), else addHttp1
 *
 *   addHttp1: decoder (StrictRequestDecoder)   bytes → request head, body parts
 *             encoder (ServerResponseEncoder)  response head, body parts → bytes
 *             [h2c]   (H2cUpgrade)             http only, put in by the decoder for a request with
 *                                              "Upgrade: h2c": addHttp2 after a 101
 *             chunked (ChunkedWriteHandler)    https only: static files in chunks (no zero-copy through TLS)
 *             downstream (DownstreamHandler)   route → forward / respond / static; the client timeouts
 *   addHttp2: see {@link Http2Pipeline}: per stream Http2RequestCheck, frames ⇄ HttpObjects, DownstreamHandler
 *             (and a ChunkedWriteHandler, added by StaticFiles, on a stream that serves a file)
 * </pre>
 * An HTTP/1.1 connection that waits a second between requests is parked: its decoder, encoder and
 * DownstreamHandler give way to a {@link ParkedConnection}, which puts new ones back with the next bytes,
 * so that an idle keep-alive connection holds little (see {@link DownstreamHandler}).
 */
public final class HttpListenerInitializer extends ChannelInitializer<Channel> {
    private final ListenerContext listener;
    private final ChannelGroup connections;
    private final ServerTls tls;
    /** h2c by Upgrade; null on https (h2 is negotiated by ALPN there). */
    private final H2cUpgrade h2c;

    public HttpListenerInitializer(ListenerContext listener, ChannelGroup connections) {
        this(listener, connections, null);
    }

    /** {@code tls} null for an http listener. */
    public HttpListenerInitializer(ListenerContext listener, ChannelGroup connections, ServerTls tls) {
        this.listener = listener;
        this.connections = connections;
        this.tls = tls;
        this.h2c = tls == null ? new H2cUpgrade(this) : null;
    }

    @Override
    protected void initChannel(Channel ch) {
        connections.add(ch);
        ch.pipeline().addLast("meter", new ConnectionMeter(listener.observer().connections()));
        java.util.List<io.sluice.config.Cidr> proxyProtocolFrom = listener.proxyProtocolFrom();
        if (proxyProtocolFrom != null) {
            ch.pipeline().addLast("proxy-protocol", new ProxyProtocolReader(proxyProtocolFrom,
                    listener.clientTimeouts().requestHead(), () -> listener.observer().connections().timedOut("request_head")));
        }
        if (tls != null) {
            ch.pipeline().addLast("tls", tls.newHandler()).addLast("alpn", new Alpn());
        } else {
            ch.pipeline().addLast("sniff", new PrefaceSniffer(this));
        }
    }

    /**
     * An HTTP/1.1 connection's write buffer: the window of a proxied response (with one upstream read on top,
     * see {@link io.sluice.upstream.BufferBudget}). The upstream is read only while the buffer is under the
     * high mark, and again once the client has brought it under the low one. Smaller than Netty's default
     * (32/64 KiB): a client that stops reading holds less, and one that reads is hardly slowed, as the
     * socket's own buffer takes what it reads before this one fills.
     */
    static final WriteBufferWaterMark RESPONSE_WINDOW = new WriteBufferWaterMark(16 * 1024, 32 * 1024);

    /** HTTP/1.1 from here on (the channel may already be active: DownstreamHandler starts reading itself). */
    void addHttp1(ChannelPipeline p) {
        p.channel().config().setWriteBufferWaterMark(RESPONSE_WINDOW);
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
        p.addLast("decoder", new StrictRequestDecoder(listener.maxRequestHead(), methods, h2c))
                .addLast("encoder", new ServerResponseEncoder(methods));
        if (tls != null) {
            p.addLast("chunked", new ChunkedWriteHandler()); // static files: no zero-copy through TLS
        }
        p.addLast("downstream", new DownstreamHandler(listener, this));
    }

    /** A new decoder and encoder for a parked HTTP/1.1 connection, where {@link #addHttp1} put them. */
    StrictRequestDecoder restoreHttp1Codec(ChannelPipeline p) {
        String next = tls != null ? "chunked" : "downstream";
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
        StrictRequestDecoder decoder = new StrictRequestDecoder(listener.maxRequestHead(), methods, h2c);
        p.addBefore(next, "decoder", decoder).addBefore(next, "encoder", new ServerResponseEncoder(methods));
        return decoder;
    }

    /** HTTP/2 from here on: the connection is read freely, each stream is read when its handler asks. */
    void addHttp2(ChannelPipeline p) {
        p.channel().config().setWriteBufferWaterMark(WriteBufferWaterMark.DEFAULT); // after an h2c upgrade
        Http2Pipeline.add(p, listener, this::initStream);
    }

    /** One h2 stream: HTTP/2 frames ⇄ HttpRequest/HttpContent, then the same handler as HTTP/1.1. */
    private void initStream(Http2StreamChannel stream) {
        stream.config().setAutoRead(false);
        // its connection's allocator, not Netty's default: one choice for the whole connection (and the fuzz
        // harness's tracking allocator sees a stream's buffers too)
        stream.config().setAllocator(stream.parent().config().getAllocator());
        stream.pipeline()
                .addLast("h2check", new Http2RequestCheck()) // malformed pseudo-headers: PROTOCOL_ERROR
                .addLast("codec", Http2ToHttp1Codec.INSTANCE) // a static file adds "chunked" after it (StaticFiles)
                .addLast("downstream", new DownstreamHandler(listener, null, io.sluice.exchange.Exchange.HTTP_2));
    }

    void initStreamForUpgrade(Http2StreamChannel stream) {
        initStream(stream);
    }

    ListenerContext listener() {
        return listener;
    }

    /** After the handshake: HTTP/2 or HTTP/1.1 as ALPN chose (HTTP/1.1 when the client offered nothing). */
    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        Alpn() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            super.channelActive(ctx);
            ctx.read(); // auto-read is off: ask for the ClientHello
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if ("acme-tls/1".equals(protocol)) { // an ACME TLS-ALPN-01 validation: the handshake was all
                ctx.close();
                return;
            }
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                addHttp2(ctx.pipeline());
            } else {
                addHttp1(ctx.pipeline());
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a failed handshake is the client's problem: no stack trace in the log
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // before the handshake ends: not TLS at all (a plain HTTP request, a scanner), a bad ClientHello
            org.slf4j.LoggerFactory.getLogger(HttpListenerInitializer.class)
                    .debug("TLS connection {} failed before the handshake: {}", ctx.channel(), cause.toString());
            ctx.close();
        }
    }
}
