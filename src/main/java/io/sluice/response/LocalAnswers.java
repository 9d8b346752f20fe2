package io.sluice.response;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.NetUtil;
import io.sluice.config.RespondConfig;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The answers the proxy gives on purpose, with no upstream: a {@code respond} route, {@code
 * redirect_to_https}, a pending ACME HTTP-01 challenge. (The proxy's answers to problems, 404, 502 and the
 * like, are {@link LocalReplies}.) Each is built whole here; the connection finishes its head on the one path
 * every response takes ({@link ResponseHeads}) and writes it.
 */
public final class LocalAnswers {
    private LocalAnswers() {
    }

    /** A {@code respond} route: its status, headers and body. */
    public static FullHttpResponse respond(ByteBufAllocator alloc, RespondConfig respond) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(respond.status()), ByteBufUtil.writeUtf8(alloc, respond.body()));
        HttpHeaders headers = response.headers();
        for (Map.Entry<String, String> h : respond.headers().entrySet()) {
            headers.set(h.getKey(), h.getValue());
        }
        if (respond.status() != 204 && respond.status() != 304) {
            // no body, and no length of one (RFC 9110 §8.6): HTTP/1.1's encoder drops it, h2's and h3's would send it
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        }
        return response;
    }

    /** The key authorization of a pending ACME HTTP-01 challenge (io.sluice.tls.AcmeChallenges). */
    public static FullHttpResponse acmeChallenge(ByteBufAllocator alloc, String keyAuthorization) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                ByteBufUtil.writeAscii(alloc, keyAuthorization));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        return response;
    }

    /**
     * {@code redirect_to_https}: 308 (method and body kept) to the same host, path and query over https on
     * {@code port}; without a Host, the address the client connected to.
     */
    public static FullHttpResponse httpsRedirect(HttpRequest request, Channel client, int port) {
        String host = request.headers().get(HttpHeaderNames.HOST, "");
        if (host.isEmpty()) {
            InetSocketAddress local = (InetSocketAddress) client.localAddress();
            host = NetUtil.toAddressString(local.getAddress());
            host = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        } else {
            int colon = host.lastIndexOf(':');
            if (colon > host.lastIndexOf(']')) {
                host = host.substring(0, colon); // the http port says nothing about the https one
            }
        }
        String location = "https://" + host + (port == 443 ? "" : ":" + port) + request.uri();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.PERMANENT_REDIRECT, Unpooled.EMPTY_BUFFER);
        response.headers().set(HttpHeaderNames.LOCATION, location).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }
}
