package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;

/**
 * The read-only JSON documents under {@code /api/} besides {@code /api/upstreams}: config, listeners,
 * routes, version. Returns null for any other path so {@link AdminHandler} answers it.
 */
final class ObserveEndpoints {
    private ObserveEndpoints() {
    }

    static FullHttpResponse answer(AdminApi api, ChannelHandlerContext ctx, FullHttpRequest request, String path)
            throws IOException {
        JsonNode body = switch (path) {
            case "/api/config" -> ApiDocuments.config(api);
            case "/api/listeners" -> ApiDocuments.listeners(api);
            case "/api/routes" -> ApiDocuments.routes(api);
            case "/api/version" -> ApiDocuments.version(api);
            default -> null;
        };
        if (body == null) {
            return null;
        }
        HttpMethod method = request.method();
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            FullHttpResponse response = AdminHandler.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            return response;
        }
        FullHttpResponse response = AdminHandler.response(HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(ApiDocuments.bytes(body)), "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }
}
