package io.sluice.admin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The status page at {@code /}: one self-contained HTML file (no external scripts, styles or fonts) that
 * follows {@code /api/events} (Server-Sent Events, one update a second) and reads {@code /api/version},
 * {@code /api/listeners} and {@code /api/routes}. Read from the class path once.
 */
final class StatusPage {

    private static final byte[] HTML = load();

    private StatusPage() {
    }

    /** A fresh response over the shared bytes; any thread. */
    static FullHttpResponse response() {
        FullHttpResponse response = AdminHandler.response(HttpResponseStatus.OK, Unpooled.wrappedBuffer(HTML),
                "text/html; charset=utf-8");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        return response;
    }

    private static byte[] load() {
        try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("io/sluice/admin/status.html missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
