package io.sluice.admin;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.NetUtil;
import io.sluice.config.AdminConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * Who may do what on the admin API (docs/operations.md, "Admin API security"). A web page the operator has
 * open must not be able to change the proxy's state (cross-site requests, DNS rebinding), and an admin
 * address reachable from other machines needs a secret:
 * <ul>
 *   <li>A state-changing request (any method but GET, HEAD, OPTIONS) is refused (403) unless its
 *       {@code Host} names the address the request arrived on (the IP the client connected to,
 *       {@code localhost} on loopback, the configured host or one of {@code admin.hosts}) with its port,
 *       and unless it carries no foreign {@code Origin} (an Origin must be {@code http://} and that Host)
 *       and no {@code Sec-Fetch-Site: cross-site}.</li>
 *   <li>With {@code admin.token} set, state-changing requests need {@code Authorization: Bearer TOKEN}
 *       (401 otherwise); on a non-loopback address every request but {@code /healthz} needs it.</li>
 *   <li>On a non-loopback address without a token, state-changing requests are refused (403): reads
 *       stay open, nothing can be changed.</li>
 * </ul>
 * Any thread; holds no state besides the configuration.
 */
final class AdminGuard {
    private final AdminConfig config;
    private final byte[] token;

    AdminGuard(AdminConfig config) {
        this.config = config;
        this.token = config.token() == null ? null : config.token().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * What the status page's buttons can do, for its hint: {@code open} (no token needed), {@code token}
     * (changes need the admin token) or {@code read-only} (not loopback and no token: every change is refused).
     */
    String changes() {
        return token != null ? "token" : config.loopback() ? "open" : "read-only";
    }

    static boolean changesState(HttpMethod method) {
        return !HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method) && !HttpMethod.OPTIONS.equals(method);
    }

    /** Null when the request may go on, else the refusal to send. */
    FullHttpResponse check(HttpRequest request, String path, InetSocketAddress local) {
        boolean write = changesState(request.method());
        boolean loopback = config.loopback();
        HttpHeaders h = request.headers();
        if (write) {
            String host = h.get(HttpHeaderNames.HOST);
            if (host == null || !namesAdmin(host, local)) {
                return refuse(HttpResponseStatus.FORBIDDEN, "refused: the Host header (" + (host == null ? "none" : host)
                        + ") does not name the admin address\n");
            }
            String origin = h.get(HttpHeaderNames.ORIGIN);
            if (origin != null && !origin.equalsIgnoreCase("http://" + host)) {
                return refuse(HttpResponseStatus.FORBIDDEN, "refused: cross-origin request from " + origin + "\n");
            }
            if ("cross-site".equalsIgnoreCase(h.get("Sec-Fetch-Site"))) {
                return refuse(HttpResponseStatus.FORBIDDEN, "refused: cross-site request\n");
            }
            if (token == null && !loopback) {
                return refuse(HttpResponseStatus.FORBIDDEN, "refused: the admin address is not loopback and "
                        + "admin.token is not set, so the admin API is read-only\n");
            }
        }
        boolean needsToken = token != null && (write || (!loopback && !"/healthz".equals(path)));
        if (needsToken && !bearerMatches(h.get(HttpHeaderNames.AUTHORIZATION))) {
            FullHttpResponse r = refuse(HttpResponseStatus.UNAUTHORIZED,
                    "refused: this request needs Authorization: Bearer with the admin token\n");
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"sluice admin\"");
            return r;
        }
        return null;
    }

    private boolean bearerMatches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token); // constant time: no timing oracle on the token
    }

    /** Whether {@code host} (a Host header value) names the address {@code local} this request came to. */
    boolean namesAdmin(String host, InetSocketAddress local) {
        String name;
        int port;
        try {
            URI uri = new URI("http://" + host + "/");
            name = uri.getHost();
            port = uri.getPort() == -1 ? 80 : uri.getPort();
            if (name == null || uri.getRawUserInfo() != null) {
                return false;
            }
        } catch (java.net.URISyntaxException e) {
            return false;
        }
        if (port != local.getPort()) {
            return false;
        }
        name = name.toLowerCase(Locale.ROOT);
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        if (name.equals(config.address().host().toLowerCase(Locale.ROOT))) {
            return true;
        }
        for (String extra : config.hosts()) {
            if (name.equalsIgnoreCase(extra)) {
                return true;
            }
        }
        if (local.getAddress().isLoopbackAddress() && name.equals("localhost")) {
            return true;
        }
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(name);
        return ip != null && java.util.Arrays.equals(ip, local.getAddress().getAddress());
    }

    private static FullHttpResponse refuse(HttpResponseStatus status, String message) {
        return AdminHandler.text(status, message);
    }
}
