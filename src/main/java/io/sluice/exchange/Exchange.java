package io.sluice.exchange;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

/**
 * One request and its response as the downstream connection sees it: the facts every stage needs
 * (id, method, whether the connection stays open) and the answers it collects (status). One object per
 * request, owned by the downstream connection's event loop.
 */
public final class Exchange {
    private final HttpRequest request;
    private final CharSequence requestId;
    private final long startNanos;
    private final String clientIp;
    private final String path;
    /** Captured at construction: the head is rewritten to HTTP/1.1 in place before it goes upstream. */
    private final HttpVersion clientVersion;
    private final String uri;
    private boolean requestComplete;
    private boolean keepAlive;
    private int status;

    public Exchange(HttpRequest request, CharSequence requestId, String clientIp, String path, boolean keepAlive,
                    long startNanos) {
        this.request = request;
        this.requestId = requestId;
        this.clientIp = clientIp;
        this.path = path;
        this.clientVersion = request.protocolVersion();
        this.uri = request.uri();
        this.keepAlive = keepAlive;
        this.startNanos = startNanos;
    }

    /** The request head as received (the proxy rewrites its headers in place before forwarding). */
    public HttpRequest request() {
        return request;
    }

    public HttpMethod method() {
        return request.method();
    }

    /** The request target as the client sent it (before strip_prefix). */
    public String uri() {
        return uri;
    }

    public HttpVersion clientVersion() {
        return clientVersion;
    }

    public CharSequence requestId() {
        return requestId;
    }

    public String clientIp() {
        return clientIp;
    }

    /** The request path without the query, before strip_prefix. */
    public String path() {
        return path;
    }

    public long startNanos() {
        return startNanos;
    }

    /** True once the whole request body (its last part) has arrived from the client. */
    public boolean requestComplete() {
        return requestComplete;
    }

    public void requestComplete(boolean complete) {
        this.requestComplete = complete;
    }

    /** Whether the client connection stays open after this response. */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** Once false, stays false: the response says {@code Connection: close} and the connection closes after it. */
    public void closeAfterResponse() {
        this.keepAlive = false;
    }

    public int status() {
        return status;
    }

    public void status(int status) {
        this.status = status;
    }
}
