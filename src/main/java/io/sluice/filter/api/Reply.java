package io.sluice.filter.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An answer a filter makes itself: a status, headers and a small body held in memory. Sluice adds
 * {@code X-Request-ID}, {@code Content-Length} and {@code Connection} as for every response, and the
 * route's {@code response_headers} and the outer filters see it on its way out.
 */
public final class Reply {
    private final int status;
    private final List<Map.Entry<String, String>> headers = new ArrayList<>(2);
    private byte[] body = new byte[0];
    private boolean plainText;
    private String detail;

    private Reply(int status) {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 200 to 599)");
        }
        this.status = status;
    }

    /** An empty answer with {@code status}; add headers and a body. */
    public static Reply of(int status) {
        return new Reply(status);
    }

    /**
     * The proxy's own short plain-text answer, like its 404 and 503: {@code "429 Too Many Requests: detail"}
     * and the request's {@code X-Request-ID}. {@code detail} may be null.
     */
    public static Reply text(int status, String detail) {
        Reply r = new Reply(status);
        r.plainText = true;
        r.detail = detail;
        return r;
    }

    /** Adds a header (several with one name are kept, e.g. {@code Set-Cookie}). */
    public Reply header(String name, String value) {
        headers.add(Map.entry(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value")));
        return this;
    }

    public Reply body(byte[] bytes) {
        this.body = Objects.requireNonNull(bytes, "bytes");
        this.plainText = false;
        return this;
    }

    /** A UTF-8 body; set Content-Type yourself. */
    public Reply body(String text) {
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    public int status() {
        return status;
    }

    public List<Map.Entry<String, String>> headers() {
        return headers;
    }

    public byte[] body() {
        return body;
    }

    /** True for a {@link #text} reply: the proxy writes its standard text body from {@link #detail()}. */
    public boolean isPlainText() {
        return plainText;
    }

    public String detail() {
        return detail;
    }
}
