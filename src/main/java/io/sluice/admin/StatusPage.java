package io.sluice.admin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.balance.Endpoint;
import io.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * The status page at {@code /}: one self-contained HTML file (no external scripts, styles or fonts) that
 * follows {@code /api/events} (Server-Sent Events, one update a second) and reads {@code /api/version},
 * {@code /api/listeners} and {@code /api/routes}. Read from the class path once.
 *
 * <p>Its first view is rendered here, as HAProxy's stats page is: every upstream with its endpoints, states,
 * weights and counts is in the HTML itself, so {@code curl} and a browser without scripts see it; the
 * script replaces it with the live view on its first update.
 */
final class StatusPage {

    private static final String HTML = load();
    private static final String SLOT = "<div id=\"upstreams\"></div>";
    private static final String BODY = "<body>";

    private StatusPage() {
    }

    /**
     * The page with {@code upstreams} as they are now; {@code changes} tells its script what the drain and
     * restore buttons can do ({@link AdminGuard#changes()}). Any thread.
     */
    static FullHttpResponse response(Collection<Upstream> upstreams, String changes) {
        int at = HTML.indexOf(SLOT);
        String page = HTML.substring(0, at) + "<div id=\"upstreams\">" + firstView(upstreams) + "</div>"
                + HTML.substring(at + SLOT.length());
        page = page.replace(BODY, "<body data-changes=\"" + escape(changes) + "\">");
        FullHttpResponse response = AdminHandler.response(HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(page.getBytes(StandardCharsets.UTF_8)), "text/html; charset=utf-8");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        return response;
    }

    /** The upstream tables the script draws, without its live columns. */
    static String firstView(Collection<Upstream> upstreams) {
        StringBuilder b = new StringBuilder(1024);
        if (upstreams == null || upstreams.isEmpty()) {
            return "<p class=\"muted\">no upstreams configured</p>";
        }
        for (Upstream u : upstreams) {
            b.append("<h2>").append(escape(u.name())).append(" <small>").append(escape(u.config().balancer()))
                    .append("</small>");
            if (u.breaker() != null) {
                String circuit = u.breaker().state().label();
                b.append(" <span class=\"circuit ").append(circuit).append("\" data-circuit=\"").append(circuit)
                        .append("\">circuit ").append(circuit.replace('_', '-')).append("</span>");
            }
            b.append("</h2><div class=\"wrap\"><table data-upstream=\"").append(escape(u.name()))
                    .append("\" class=\"endpoints\"><thead><tr><th>endpoint</th><th>state</th>"
                            + "<th class=\"num\">weight</th><th class=\"num\">in flight</th>"
                            + "<th class=\"num\">requests</th></tr></thead><tbody>");
            for (Endpoint e : u.endpoints()) {
                String state = e.state().label();
                b.append("<tr data-endpoint=\"").append(escape(e.address())).append("\">")
                        .append("<td data-field=\"address\">").append(escape(e.address())).append("</td>")
                        .append("<td data-field=\"state\" data-label=\"state\" class=\"state ").append(state).append("\">")
                        .append(state).append("</td>")
                        .append("<td class=\"num\" data-label=\"weight\">").append(e.weight()).append("</td>")
                        .append("<td class=\"num\" data-label=\"in flight\">").append(e.inFlight()).append("</td>")
                        .append("<td class=\"num\" data-label=\"requests\">").append(e.requestsTotal()).append("</td></tr>");
            }
            b.append("</tbody></table></div>");
        }
        return b.toString();
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String load() {
        try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("io/sluice/admin/status.html missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
