package io.sluice.admin;

import static io.sluice.observe.AccessLogFormat.printable;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one admin request from its aggregated form. Shared by every admin connection; runs on
 * their event loops and builds every answer in memory, without blocking.
 *
 * <p>Buffers: the request is released by {@link SimpleChannelInboundHandler}; each response body is
 * allocated here and handed to the channel with the response (released by the encoder), or
 * released here when building the response fails.
 */
@Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String ALLOW = "GET, HEAD";

    private final PrometheusRegistry registry;
    private final Supplier<Collection<Upstream>> upstreams;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final AdminApi api;
    /** Null only in unit tests of the answers alone. */
    private final AdminGuard guard;

    AdminHandler(PrometheusRegistry registry, Supplier<Collection<Upstream>> upstreams) {
        this.registry = registry;
        this.upstreams = upstreams;
        this.api = null;
        this.guard = null;
    }

    AdminHandler(AdminApi api, AdminGuard guard) {
        this.registry = api.metrics.registry();
        this.upstreams = api.upstreams;
        this.api = api;
        this.guard = guard;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            sendAndClose(ctx, text(HttpResponseStatus.BAD_REQUEST, "bad request\n"));
            return;
        }
        String path;
        try {
            path = new QueryStringDecoder(request.uri()).path();
        } catch (IllegalArgumentException e) { // undecodable %-escape
            sendAndClose(ctx, text(HttpResponseStatus.BAD_REQUEST, "bad request\n"));
            return;
        }
        if (guard != null && ctx.channel().localAddress() instanceof InetSocketAddress local) {
            FullHttpResponse refusal = guard.check(request, path, local);
            if (refusal != null) {
                // decoded, so %0a would start a forged line in the process log
                log.warn("admin {} {} {}: {}", ctx.channel().remoteAddress(), request.method(), printable(path),
                        refusal.content().toString(StandardCharsets.UTF_8).strip());
                send(ctx, request, refusal);
                return;
            }
        }
        if (api != null && "/api/reload".equals(path)) {
            ReloadEndpoint.answer(ctx, request, api);
            return;
        }
        if (api != null && CachePurgeEndpoint.PATH.equals(path)) {
            CachePurgeEndpoint.answer(ctx, request, api);
            return;
        }
        if (api != null && "/api/events".equals(path) && HttpMethod.GET.equals(request.method())) {
            EventStream.start(ctx, request, api); // streams until the viewer leaves
            return;
        }
        FullHttpResponse response;
        try {
            response = api == null ? null : ObserveEndpoints.answer(api, ctx, request, path);
            if (response == null) {
                response = answer(ctx, request, path);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("admin {} {} {}: answering failed", ctx.channel().remoteAddress(), request.method(), printable(path),
                    e);
            response = text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
        }
        send(ctx, request, response);
    }

    private FullHttpResponse answer(ChannelHandlerContext ctx, FullHttpRequest request, String path) throws IOException {
        if (path.startsWith(EndpointAdmin.PREFIX)) {
            return EndpointAdmin.answer(ctx, request, path, upstreams.get());
        }
        boolean known = switch (path) {
            case "/", "/healthz", "/metrics", "/api/upstreams" -> true;
            default -> false;
        };
        if (!known) {
            return text(HttpResponseStatus.NOT_FOUND, "not found\n");
        }
        HttpMethod method = request.method();
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            FullHttpResponse response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, ALLOW);
            return response;
        }
        return switch (path) {
            case "/healthz" -> text(HttpResponseStatus.OK, "ok\n");
            case "/metrics" -> metrics(ctx, request.headers().get(HttpHeaderNames.ACCEPT));
            case "/api/upstreams" -> upstreams(ctx);
            default -> StatusPage.response(upstreams.get(), guard == null ? "open" : guard.changes());
        };
    }

    /** Prometheus text 0.0.4 unless the scraper asks for OpenMetrics text. */
    private FullHttpResponse metrics(ChannelHandlerContext ctx, String accept) throws IOException {
        ExpositionFormatWriter writer = formats.findWriter(accept);
        if (!writer.isAvailable()) { // protobuf asked for; its module is not on the class path
            writer = formats.getOpenMetricsTextFormatWriter().accepts(accept)
                    ? formats.getOpenMetricsTextFormatWriter()
                    : formats.getPrometheusTextFormatWriter();
        }
        EscapingScheme escaping = EscapingScheme.fromAcceptHeader(accept);
        ByteBuf body = ctx.alloc().buffer(16 * 1024);
        try (OutputStream out = new ByteBufOutputStream(body)) {
            writer.write(out, registry.scrape(), escaping);
        } catch (IOException | RuntimeException e) {
            body.release();
            throw e;
        }
        FullHttpResponse response = response(HttpResponseStatus.OK, body, writer.getContentType());
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    private FullHttpResponse upstreams(ChannelHandlerContext ctx) throws IOException {
        ByteBuf body = ctx.alloc().buffer(1024);
        try (OutputStream out = new ByteBufOutputStream(body)) {
            UpstreamsJson.write(upstreams.get(), api == null ? null : api.metrics, out);
        } catch (IOException | RuntimeException e) {
            body.release();
            throw e;
        }
        FullHttpResponse response = response(HttpResponseStatus.OK, body, "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    static FullHttpResponse text(HttpResponseStatus status, String text) {
        return response(status, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8), TEXT);
    }

    static FullHttpResponse response(HttpResponseStatus status, ByteBuf body, String contentType) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setContentLength(response, body.readableBytes());
        return response;
    }

    /** Content-Length is already the body's; a HEAD answer keeps it and drops the body. */
    static void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        send(ctx, HttpMethod.HEAD.equals(request.method()), request.protocolVersion(), HttpUtil.isKeepAlive(request),
                response);
    }

    /** For an answer given after the request was released: what {@link #send} needs of the request. */
    static void send(ChannelHandlerContext ctx, boolean head, io.netty.handler.codec.http.HttpVersion version,
                     boolean keepAlive, FullHttpResponse response) {
        if (head) {
            FullHttpResponse headOnly = response.replace(Unpooled.EMPTY_BUFFER);
            response.release();
            response = headOnly;
        }
        // Same version as the request: an HTTP/1.0 client needs an explicit "Connection: keep-alive".
        response.setProtocolVersion(version);
        HttpUtil.setKeepAlive(response, keepAlive);
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static void sendAndClose(ChannelHandlerContext ctx, FullHttpResponse response) {
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("admin {}: closing after error", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
