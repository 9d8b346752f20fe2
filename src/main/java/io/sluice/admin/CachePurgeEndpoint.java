package io.sluice.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code DELETE /api/cache?prefix=/img/}: removes every cached response whose path starts with the prefix, from
 * every {@code cache} filter, in memory and in Redis, and answers {@code {"purged": N}}. The Redis part runs in
 * the background; the answer is written on this connection's event loop when it is done.
 */
final class CachePurgeEndpoint {
    static final String PATH = "/api/cache";

    private CachePurgeEndpoint() {
    }

    static void answer(ChannelHandlerContext ctx, FullHttpRequest request, AdminApi api) {
        HttpVersion version = request.protocolVersion();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!HttpMethod.DELETE.equals(request.method())) {
            FullHttpResponse response = AdminHandler.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, "DELETE");
            AdminHandler.send(ctx, false, version, keepAlive, response);
            return;
        }
        List<String> prefixes = new QueryStringDecoder(request.uri()).parameters().get("prefix");
        String prefix = prefixes == null || prefixes.isEmpty() ? null : prefixes.get(0);
        if (prefix == null || !prefix.startsWith("/")) {
            AdminHandler.send(ctx, false, version, keepAlive, AdminHandler.text(HttpResponseStatus.BAD_REQUEST,
                    "expected ?prefix=/PATH (a path prefix; ?prefix=/ purges everything)\n"));
            return;
        }
        if (api.reloads == null) {
            AdminHandler.send(ctx, false, version, keepAlive, json(0));
            return;
        }
        api.reloads.purgeCache(prefix).whenComplete((n, failure) -> ctx.executor().execute(() -> {
            FullHttpResponse response = failure != null
                    ? AdminHandler.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "purge failed: " + failure + "\n")
                    : json(n);
            if (ctx.channel().isActive()) {
                AdminHandler.send(ctx, false, version, keepAlive, response);
            } else {
                response.release();
            }
        }));
    }

    private static FullHttpResponse json(int purged) {
        FullHttpResponse response = AdminHandler.response(HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(("{\"purged\": " + purged + "}\n").getBytes(StandardCharsets.UTF_8)),
                "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }
}
