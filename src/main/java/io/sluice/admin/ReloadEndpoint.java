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
import java.io.IOException;
import java.util.concurrent.CompletionException;

/**
 * {@code /api/reload}: {@code GET} answers the last reload attempt ({@code {"last_reload": null}} before
 * the first), {@code POST} reloads the configuration file as SIGHUP does and answers its outcome: 200 when
 * the new configuration is in force, 422 with the errors when it was refused, 409 when the proxy runs
 * without a file. The reload runs on the proxy's control thread; the answer is written on this
 * connection's event loop when it is done.
 */
final class ReloadEndpoint {
    private ReloadEndpoint() {
    }

    static void answer(ChannelHandlerContext ctx, FullHttpRequest request, AdminApi api) {
        HttpMethod method = request.method();
        boolean head = HttpMethod.HEAD.equals(method);
        HttpVersion version = request.protocolVersion();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (HttpMethod.GET.equals(method) || head) {
            ReloadOutcome last = api.reloads == null ? null : api.reloads.last();
            AdminHandler.send(ctx, head, version, keepAlive, json(HttpResponseStatus.OK, last));
            return;
        }
        if (!HttpMethod.POST.equals(method)) {
            FullHttpResponse response = AdminHandler.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD, POST");
            AdminHandler.send(ctx, false, version, keepAlive, response);
            return;
        }
        if (api.reloads == null) {
            AdminHandler.send(ctx, false, version, keepAlive,
                    AdminHandler.text(HttpResponseStatus.CONFLICT, "nothing to reload\n"));
            return;
        }
        api.reloads.reload().whenComplete((outcome, failure) -> ctx.executor().execute(() -> {
            FullHttpResponse response;
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                response = AdminHandler.text(HttpResponseStatus.CONFLICT, cause.getMessage() + "\n");
            } else {
                response = json(outcome.success() ? HttpResponseStatus.OK
                        : HttpResponseStatus.UNPROCESSABLE_ENTITY, outcome);
            }
            if (ctx.channel().isActive()) {
                AdminHandler.send(ctx, false, version, keepAlive, response);
            } else {
                response.release(); // the reload closed this admin listener (a new admin address)
            }
        }));
    }

    private static FullHttpResponse json(HttpResponseStatus status, ReloadOutcome outcome) {
        byte[] body;
        try {
            body = ApiDocuments.bytes(ApiDocuments.reload(outcome));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        FullHttpResponse response = AdminHandler.response(status, Unpooled.wrappedBuffer(body), "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }
}
