package io.sluice.accept;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.sluice.exchange.PerMessageFields;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.function.Consumer;

/**
 * The HTTP/2 part of a client connection (h2 after ALPN, h2c by prior knowledge or after an Upgrade):
 * <pre>
 *   h2      (Http2FrameCodec)        frames, flow control, HPACK, the limits below
 *   h2idle  (IdleStateHandler)       no frame for a while ...
 *   h2mux   (Http2MultiplexHandler)  one child channel per stream, each with its own DownstreamHandler
 *   h2conn  (ConnectionEvents)       ... and no stream open: close; drain: GOAWAY, streams in flight finish
 * </pre>
 * The connection itself is read freely; backpressure is per stream: a stream's child channel reads only
 * when its DownstreamHandler asks, and Netty returns flow-control window to the client only for the bytes
 * read, so a slow upstream stalls its own stream and no other.
 *
 * <p>Limits: {@value #MAX_CONCURRENT_STREAMS} concurrent streams; header list size =
 * {@code server.max_request_head}; rapid reset (CVE-2023-44487): more than {@value #MAX_RST_PER_WINDOW}
 * RST_STREAM frames from the client in {@value #RST_WINDOW_SECONDS}s ends the connection with GOAWAY;
 * CONTINUATION flood (CVE-2024-27316 class): a header block over the list size limit, or too many small
 * CONTINUATION frames, ends the connection with GOAWAY (Netty's decoder).
 */
final class Http2Pipeline {
    private static final Logger log = LoggerFactory.getLogger(Http2Pipeline.class);
    static final int MAX_CONCURRENT_STREAMS = 256;
    static final int MAX_RST_PER_WINDOW = 200;
    static final int RST_WINDOW_SECONDS = 30;
    /** How long a drained connection waits for its streams in flight after the GOAWAY. */
    static final long GRACEFUL_SHUTDOWN_MILLIS = 30_000;

    private Http2Pipeline() {
    }

    static Http2FrameCodec frameCodec(ListenerContext listener) {
        return new ServerCodecBuilder()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .maxHeaderListSize(listener.maxRequestHead()))
                .validateHeaders(true)
                .headerSensitivityDetector(PerMessageFields.INSTANCE)
                .decoderEnforceMaxRstFramesPerWindow(MAX_RST_PER_WINDOW, RST_WINDOW_SECONDS)
                .gracefulShutdownTimeoutMillis(GRACEFUL_SHUTDOWN_MILLIS)
                .build();
    }

    /**
     * Netty's server codec, with the response bytes of the streams shared out evenly (UniformStreamByteDistributor)
     * rather than by the priority tree of RFC 7540 (WeightedFairQueueByteDistributor, Netty's default): RFC 9113
     * deprecated that scheme, and HAProxy and nginx do without it. Netty's default keeps tree state for every
     * stream: about 200 bytes allocated per stream (bench/alloc h2c), for the same CPU spent sharing out
     * (docs/benchmarks.md, "Morning of 2026-12-06").
     */
    private static final class ServerCodecBuilder extends Http2FrameCodecBuilder {
        ServerCodecBuilder() {
            // a server connection given whole (the builder's server(true) and connection(...) exclude each other)
            DefaultHttp2Connection connection = new DefaultHttp2Connection(true);
            connection.remote().flowController(
                    new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
            connection(connection);
        }
    }

    static Http2MultiplexHandler multiplexer(Consumer<Http2StreamChannel> initStream) {
        return new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                initStream.accept(ch);
            }
        });
    }

    /** Adds the HTTP/2 handlers at the end of {@code p} and turns auto-read on for the connection. */
    static void add(ChannelPipeline p, ListenerContext listener, Consumer<Http2StreamChannel> initStream) {
        Http2FrameCodec codec = frameCodec(listener);
        ChannelHandler[] after = afterCodec(listener, codec, initStream);
        // Responses of many streams come from many upstream connections, each flushing its stream; merged
        // into one write per loop turn they become one TLS record and one send instead of dozens.
        p.addLast("h2flush", new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true))
                .addLast("h2", codec).addLast("h2idle", after[0]).addLast("h2mux", after[1]).addLast("h2conn", after[2]);
        p.channel().config().setAutoRead(true);
    }

    /**
     * The handlers that follow the frame codec (the h2c upgrade adds them itself: they must be in place
     * before the upgrade opens stream 1).
     */
    static ChannelHandler[] afterCodec(ListenerContext listener, Http2FrameCodec codec,
                                       Consumer<Http2StreamChannel> initStream) {
        return new ChannelHandler[] {
            // client_timeouts.idle: no frame for this long closes a connection with no open stream
            new IdleStateHandler(listener.clientTimeouts().idle(), 0, 0, TimeUnit.NANOSECONDS),
            multiplexer(initStream),
            new ConnectionEvents(codec, listener)};
    }

    /** Connection-level events an h2 connection has no DownstreamHandler for. */
    private static final class ConnectionEvents extends ChannelDuplexHandler {
        private final Http2FrameCodec codec;
        private final ListenerContext listener;

        ConnectionEvents(Http2FrameCodec codec, ListenerContext listener) {
            this.codec = codec;
            this.listener = listener;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                if (codec.connection().numActiveStreams() == 0) {
                    listener.observer().connections().timedOut("idle");
                    ctx.close();
                }
                return;
            }
            if (evt == DrainEvent.INSTANCE) {
                // Close (GOAWAY) once the streams in flight are done, not before: some clients (the JDK 17
                // HttpClient) fail every open stream on a GOAWAY, whatever its last stream id says.
                Http2Connection connection = codec.connection();
                if (connection.numActiveStreams() == 0) {
                    ctx.close();
                } else {
                    connection.addListener(new Http2ConnectionAdapter() {
                        @Override
                        public void onStreamClosed(Http2Stream stream) {
                            if (connection.numActiveStreams() == 0) {
                                ctx.close();
                            }
                        }
                    });
                }
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // connection frames (SETTINGS, PING acks): the codec acted on them
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("h2 connection {} failed: {}", ctx.channel(), cause.toString());
            if (io.netty.handler.codec.http2.Http2CodecUtil.getEmbeddedHttp2Exception(cause) == null) {
                ctx.close();
            } // else the codec is already answering it: GOAWAY with its error code, then close

        }
    }
}
