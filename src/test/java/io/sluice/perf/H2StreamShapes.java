package io.sluice.perf;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayDeque;

/**
 * Three minimal h2c-to-HTTP/1.1 proxies that differ only in how a stream reaches the code that forwards it,
 * for measuring what each shape costs per request (docs/benchmarks.md, "Evening of 2026-12-06"). Run with
 * {@code bench/h2-shapes}; not a test.
 * <ul>
 *   <li>{@code objects}: Sluice's shape. Netty's frame codec and multiplexer, a child channel per stream, the
 *       stream's frames turned into HTTP/1.1 objects ({@link Http2StreamFrameToHttpObjectCodec}) and back.</li>
 *   <li>{@code frames}: the same child channels, the stream handler reading and writing frames itself.</li>
 *   <li>{@code listener}: no child channels. One {@link Http2ConnectionHandler} per connection whose frame
 *       listener forwards each stream, and writes the answer with the connection's encoder.</li>
 * </ul>
 * Everything else is the same and as small as it can be: GETs only, one event loop group of two io_uring
 * loops, the upstream connections pooled per loop (each used by one request at a time), the response streamed
 * back part by part, one {@link FlushConsolidationHandler} per client connection as in Sluice.
 */
public final class H2StreamShapes {

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: H2StreamShapes objects|frames|listener PORT BACKEND_HOST:PORT");
            System.exit(2);
        }
        String shape = args[0];
        int port = Integer.parseInt(args[1]);
        String[] backend = args[2].split(":");
        Upstreams upstreams = new Upstreams(backend[0], Integer.parseInt(backend[1]));
        ChannelInitializer<Channel> client = switch (shape) {
            case "objects" -> multiplexed(upstreams, true);
            case "frames" -> multiplexed(upstreams, false);
            case "listener" -> new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(flushConsolidation(), new ListenerBuilder(upstreams).build());
                }
            };
            default -> throw new IllegalArgumentException("shape: " + shape);
        };
        new ServerBootstrap().group(new MultiThreadIoEventLoopGroup(2, IoUringIoHandler.newFactory()))
                .channel(IoUringServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(client)
                .bind("127.0.0.1", port).sync();
        System.out.println("h2c " + shape + " on 127.0.0.1:" + port);
        Thread.currentThread().join();
    }

    private static FlushConsolidationHandler flushConsolidation() {
        return new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
    }

    /** Settings and flow control as Sluice's {@code Http2Pipeline} has them. */
    private static DefaultHttp2Connection serverConnection() {
        DefaultHttp2Connection connection = new DefaultHttp2Connection(true);
        connection.remote().flowController(
                new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
        return connection;
    }

    private static Http2Settings settings() {
        return Http2Settings.defaultSettings().maxConcurrentStreams(256);
    }

    /** What receives one upstream response, part by part, on the client's event loop. */
    interface ResponseSink {
        void head(HttpResponse head);

        /** Takes {@code part}'s reference. */
        void part(HttpContent part, boolean last);
    }

    /** HTTP/1.1 connections to the backend, kept per event loop, one request at a time on each. */
    static final class Upstreams {
        private final String host;
        private final int port;
        private final FastThreadLocal<ArrayDeque<Upstream>> idle = new FastThreadLocal<>() {
            @Override
            protected ArrayDeque<Upstream> initialValue() {
                return new ArrayDeque<>();
            }
        };

        Upstreams(String host, int port) {
            this.host = host;
            this.port = port;
        }

        /** Sends a GET for {@code path}; called on {@code loop}. */
        void get(EventLoop loop, String path, ResponseSink sink) {
            HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            request.headers().set(HttpHeaderNames.HOST, host);
            Upstream pooled = idle.get().pollLast();
            if (pooled != null) {
                pooled.send(request, sink);
                return;
            }
            Upstream fresh = new Upstream();
            new Bootstrap().group(loop).channel(IoUringSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), fresh);
                        }
                    })
                    .connect(host, port).addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess()) {
                            fresh.channel = f.channel();
                            fresh.send(request, sink);
                        }
                    });
        }

        final class Upstream extends ChannelInboundHandlerAdapter {
            Channel channel;
            ResponseSink sink;

            void send(HttpRequest request, ResponseSink sink) {
                this.sink = sink;
                channel.write(request, channel.voidPromise());
                channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ResponseSink to = sink;
                if (msg instanceof HttpResponse head) {
                    head.headers().remove(HttpHeaderNames.CONNECTION);
                    to.head(head);
                }
                if (msg instanceof HttpContent part) {
                    boolean last = part instanceof LastHttpContent;
                    if (last) {
                        sink = null;
                        idle.get().addLast(this);
                    }
                    to.part(part, last);
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                idle.get().remove(this);
            }
        }
    }

    // ------------------------------------------------------------------ objects, frames: a child channel each

    private static ChannelInitializer<Channel> multiplexed(Upstreams upstreams, boolean objects) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                Http2FrameCodec codec = new Http2FrameCodecBuilder() {
                    {
                        connection(serverConnection());
                    }
                }.initialSettings(settings()).build();
                ch.pipeline().addLast(flushConsolidation(), codec, new Http2MultiplexHandler(
                        new ChannelInitializer<Http2StreamChannel>() {
                            @Override
                            protected void initChannel(Http2StreamChannel stream) {
                                if (objects) {
                                    stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                                            new ObjectStream(upstreams));
                                } else {
                                    stream.pipeline().addLast(new FrameStream(upstreams));
                                }
                            }
                        }));
            }
        };
    }

    /** One stream's handler in its child channel: takes the request's head, writes the response as it comes. */
    abstract static class ChildStream extends ChannelInboundHandlerAdapter implements ResponseSink {
        private final Upstreams upstreams;
        private ChannelHandlerContext ctx;

        ChildStream(Upstreams upstreams) {
            this.upstreams = upstreams;
        }

        /** The path the request asks for when {@code msg} is its head, else null. */
        abstract String path(Object msg);

        /** What goes into the stream's pipeline for the upstream's response head. */
        abstract Object headToWrite(HttpResponse head);

        /** What goes into the stream's pipeline for a part of the upstream's body; takes its reference. */
        abstract Object partToWrite(HttpContent part, boolean last);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            String path = path(msg);
            if (path != null) {
                this.ctx = ctx;
                upstreams.get(ctx.channel().eventLoop(), path, this);
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void head(HttpResponse head) {
            ctx.write(headToWrite(head), ctx.voidPromise());
        }

        @Override
        public void part(HttpContent part, boolean last) {
            Object out = partToWrite(part, last);
            if (last) {
                ctx.writeAndFlush(out, ctx.voidPromise());
            } else {
                ctx.write(out, ctx.voidPromise());
            }
        }
    }

    /** A stream's request as an HttpRequest, its response written as HTTP/1.1 objects. */
    static final class ObjectStream extends ChildStream {
        ObjectStream(Upstreams upstreams) {
            super(upstreams);
        }

        @Override
        String path(Object msg) {
            return msg instanceof HttpRequest request ? request.uri() : null;
        }

        @Override
        Object headToWrite(HttpResponse head) {
            return head;
        }

        @Override
        Object partToWrite(HttpContent part, boolean last) {
            return part;
        }
    }

    /** A stream's request and response as h2 frames. */
    static final class FrameStream extends ChildStream {
        FrameStream(Upstreams upstreams) {
            super(upstreams);
        }

        @Override
        String path(Object msg) {
            return msg instanceof Http2HeadersFrame headers ? headers.headers().path().toString() : null;
        }

        @Override
        Object headToWrite(HttpResponse head) {
            return new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(head, true));
        }

        @Override
        Object partToWrite(HttpContent part, boolean last) {
            return new DefaultHttp2DataFrame(part.content(), last);
        }
    }

    // ------------------------------------------------------------------ listener: streams on the connection

    static final class ListenerBuilder extends AbstractHttp2ConnectionHandlerBuilder<Listener, ListenerBuilder> {
        private final Upstreams upstreams;

        ListenerBuilder(Upstreams upstreams) {
            this.upstreams = upstreams;
            connection(serverConnection());
            initialSettings(settings());
            frameListener(new Http2FrameAdapter()); // replaced by the handler itself below
        }

        @Override
        public Listener build() {
            return super.build();
        }

        @Override
        protected Listener build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
            Listener handler = new Listener(decoder, encoder, settings, upstreams);
            decoder.frameListener(handler.frames);
            return handler;
        }
    }

    /** Every stream of one connection: requests from the frame listener, responses through the encoder. */
    static final class Listener extends Http2ConnectionHandler {
        private final Upstreams upstreams;
        private ChannelHandlerContext ctx;
        final Http2FrameAdapter frames = new Http2FrameAdapter() {
            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                      boolean endStream) {
                upstreams.get(ctx.channel().eventLoop(), headers.path().toString(), new StreamSink(streamId));
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int dependency,
                                      short weight, boolean exclusive, int padding, boolean endStream) {
                onHeadersRead(ctx, streamId, headers, padding, endStream);
            }

            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                                  boolean endOfStream) {
                return data.readableBytes() + padding; // GETs only: nothing to forward, the window returned at once
            }
        };

        Listener(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
                 Upstreams upstreams) {
            super(decoder, encoder, settings);
            this.upstreams = upstreams;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
            this.ctx = ctx;
            super.handlerAdded(ctx);
        }

        private final class StreamSink implements ResponseSink {
            private final int streamId;

            StreamSink(int streamId) {
                this.streamId = streamId;
            }

            @Override
            public void head(HttpResponse head) {
                encoder().writeHeaders(ctx, streamId, HttpConversionUtil.toHttp2Headers(head, true), 0, false,
                        ctx.newPromise());
            }

            @Override
            public void part(HttpContent part, boolean last) {
                encoder().writeData(ctx, streamId, part.content(), 0, last, ctx.newPromise());
                if (last) {
                    flush(ctx);
                }
            }
        }
    }
}
