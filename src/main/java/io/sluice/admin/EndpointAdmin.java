package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoint operations of the admin API, each answering the endpoint's JSON:
 * <ul>
 *   <li>{@code POST /api/upstreams/{name}/endpoints/{address}/drain}: no new requests, those in flight
 *       finish (state {@code draining});</li>
 *   <li>{@code POST .../restore}: undoes a drain (health checks still decide whether it is in service);</li>
 *   <li>{@code PUT .../weight} with {@code {"weight": N}} or {@code ?weight=N}, N from 0 to 1000.</li>
 * </ul>
 * 404 for an unknown upstream or endpoint, 400 for a bad weight, 405 for a wrong method. A drain or
 * weight set here lasts until a reload re-applies the configured weight (drains survive reloads).
 */
final class EndpointAdmin {
    static final String PREFIX = "/api/upstreams/";
    private static final Logger log = LoggerFactory.getLogger(EndpointAdmin.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EndpointAdmin() {
    }

    static FullHttpResponse answer(ChannelHandlerContext ctx, FullHttpRequest request, String path,
                                   Collection<Upstream> upstreams) throws IOException {
        // {name}/endpoints/{address}/{action}, split before decoding: an address such as https://host:8443
        // arrives as one %2F-encoded segment and must not be cut at its own slashes
        String[] parts = segments(request.uri());
        if (parts == null || parts.length != 4 || !parts[1].equals("endpoints")) {
            return AdminHandler.text(HttpResponseStatus.NOT_FOUND, "not found\n");
        }
        String action = parts[3];
        HttpMethod expected = switch (action) {
            case "drain", "restore" -> HttpMethod.POST;
            case "weight" -> HttpMethod.PUT;
            default -> null;
        };
        if (expected == null) {
            return AdminHandler.text(HttpResponseStatus.NOT_FOUND, "not found\n");
        }
        Upstream upstream = null;
        for (Upstream u : upstreams == null ? List.<Upstream>of() : upstreams) {
            if (u.name().equals(parts[0])) {
                upstream = u;
            }
        }
        if (upstream == null) {
            return AdminHandler.text(HttpResponseStatus.NOT_FOUND, "no upstream '" + parts[0] + "'\n");
        }
        Endpoint endpoint = upstream.endpoint(parts[2]);
        if (endpoint == null) {
            return AdminHandler.text(HttpResponseStatus.NOT_FOUND,
                    "no endpoint '" + parts[2] + "' in upstream '" + parts[0] + "'\n");
        }
        if (!expected.equals(request.method())) {
            FullHttpResponse response = AdminHandler.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, expected.name());
            return response;
        }
        switch (action) {
            case "drain" -> {
                EndpointState before = endpoint.setOut(Endpoint.DRAINED, true);
                log.info("upstream {} endpoint {}: drained by the admin API (state {} -> {})", upstream.name(),
                        endpoint, before.label(), endpoint.state().label());
            }
            case "restore" -> {
                EndpointState before = endpoint.setOut(Endpoint.DRAINED, false);
                log.info("upstream {} endpoint {}: restored by the admin API (state {} -> {})", upstream.name(),
                        endpoint, before.label(), endpoint.state().label());
            }
            default -> {
                Integer weight = weight(request);
                if (weight == null) {
                    return AdminHandler.text(HttpResponseStatus.BAD_REQUEST,
                            "bad weight (expected {\"weight\": N} or ?weight=N with N from 0 to 1000)\n");
                }
                endpoint.weight(weight);
                log.info("upstream {} endpoint {}: weight set to {} by the admin API", upstream.name(), endpoint, weight);
            }
        }
        ByteBuf body = ctx.alloc().buffer(256);
        try (OutputStream out = new ByteBufOutputStream(body)) {
            UpstreamsJson.writeEndpoint(endpoint, out);
        } catch (IOException | RuntimeException e) {
            body.release();
            throw e;
        }
        FullHttpResponse response = AdminHandler.response(HttpResponseStatus.OK, body, "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    /**
     * The segments after {@link #PREFIX} of the request target's path, each percent-decoded ('+' stays '+',
     * as in a path), or null when the raw path does not start with the prefix.
     */
    private static String[] segments(String uri) {
        int end = uri.length();
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        String raw = uri.substring(0, end);
        if (!raw.startsWith(PREFIX)) {
            return null;
        }
        String[] parts = raw.substring(PREFIX.length()).split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            parts[i] = URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8);
        }
        return parts;
    }

    /** The weight from the query or the JSON body, or null when missing or out of 0..1000. */
    private static Integer weight(FullHttpRequest request) {
        List<String> query = new QueryStringDecoder(request.uri()).parameters().get("weight");
        String text = null;
        if (query != null && !query.isEmpty()) {
            text = query.get(0);
        } else if (request.content().isReadable()) {
            try {
                JsonNode node = MAPPER.readTree(request.content().toString(StandardCharsets.UTF_8));
                JsonNode w = node == null ? null : node.get("weight");
                if (w == null || !w.isIntegralNumber()) {
                    return null;
                }
                text = w.asText();
            } catch (IOException e) {
                return null;
            }
        }
        if (text == null || !text.matches("[0-9]{1,4}")) {
            return null;
        }
        int weight = Integer.parseInt(text);
        return weight <= 1000 ? weight : null;
    }
}
