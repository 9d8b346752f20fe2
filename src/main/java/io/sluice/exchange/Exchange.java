package io.sluice.exchange;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

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
    // What the access log and the route metrics report; see docs/observability.md.
    private String route = "";
    private String upstream = "";
    private String endpoint = "";
    private int attempts;
    private long upstreamConnectNanos = -1;
    private long upstreamHeaderNanos = -1;
    private String upstreamError; // set only when the upstream failed: nothing on the normal path
    private String cacheStatus;   // the response's Cache-Status, read only on routes with filters
    /** The traceparent sent upstream (its ids are read from it when asked for), null when tracing is off. */
    private AsciiString traceparent;
    private CharSequence clientTraceparent;
    private boolean traceSampled;
    private boolean observed;

    /** HTTP/2 and HTTP/3 as logs and spans name them; their requests reach the proxy converted to HTTP/1.1 objects. */
    public static final HttpVersion HTTP_2 = HttpVersion.valueOf("HTTP/2.0");
    public static final HttpVersion HTTP_3 = HttpVersion.valueOf("HTTP/3.0");

    public Exchange(HttpRequest request, CharSequence requestId, String clientIp, String path, boolean keepAlive,
                    long startNanos) {
        this(request, request.protocolVersion(), requestId, clientIp, path, keepAlive, startNanos);
    }

    /** {@code clientVersion}: the version the client spoke ({@link #HTTP_2}, {@link #HTTP_3} on streams). */
    public Exchange(HttpRequest request, HttpVersion clientVersion, CharSequence requestId, String clientIp, String path,
                    boolean keepAlive, long startNanos) {
        this.request = request;
        this.requestId = requestId;
        this.clientIp = clientIp;
        this.path = path;
        this.clientVersion = clientVersion;
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

    /** The name of the route that matched; "" when none did. */
    public String route() {
        return route;
    }

    public void route(String route) {
        this.route = route;
    }

    /** The upstream and the endpoint of the last attempt; "" when none was made. */
    public String upstream() {
        return upstream;
    }

    public String endpoint() {
        return endpoint;
    }

    public int attempts() {
        return attempts;
    }

    /** An attempt started on {@code endpoint} of {@code upstream}; counts attempts. */
    public void attempt(String upstream, String endpoint) {
        this.upstream = upstream;
        this.endpoint = endpoint;
        this.attempts++;
    }

    /** Time the last new upstream connection took to open; -1 when a pooled one was reused or none was made. */
    public long upstreamConnectNanos() {
        return upstreamConnectNanos;
    }

    public void upstreamConnectNanos(long nanos) {
        this.upstreamConnectNanos = nanos;
    }

    /** From the start of the last attempt (connect included) to the response head; -1 when none came. */
    public long upstreamHeaderNanos() {
        return upstreamHeaderNanos;
    }

    public void upstreamHeaderNanos(long nanos) {
        this.upstreamHeaderNanos = nanos;
    }

    /**
     * Why the proxy answered 502/503/504 itself, or broke a response off: a fixed token ({@code connect_failed},
     * {@code reset}, {@code timeout}, {@code protocol_error}, {@code no_endpoint}, {@code circuit_open}); null
     * when the upstream answered or none was asked.
     */
    public String upstreamError() {
        return upstreamError;
    }

    /** The response's {@code Cache-Status} (a {@code cache} filter's), for the access log; null without one. */
    public String cacheStatus() {
        return cacheStatus;
    }

    public void cacheStatus(String value) {
        this.cacheStatus = value;
    }

    public void upstreamError(String token) {
        this.upstreamError = token;
    }

    /** The W3C trace id (32 hex digits) and the proxy's own span id (16), "" when tracing is off. */
    public CharSequence traceId() {
        return traceparent == null ? "" : traceparent.subSequence(3, 35, false);
    }

    public CharSequence spanId() {
        return traceparent == null ? "" : traceparent.subSequence(36, 52, false);
    }

    /**
     * The {@code traceparent} sent upstream (version 00: {@code 00-TRACEID-SPANID-FLAGS});
     * {@code clientTraceparent} is the client's valid {@code traceparent} the trace continues (null when the
     * proxy started it), {@code sampled} the flag sent on. The ids are views of it made only when asked for
     * (the access log's trace_id, a span exported): most requests need neither.
     */
    public void trace(AsciiString traceparent, CharSequence clientTraceparent, boolean sampled) {
        this.traceparent = traceparent;
        this.clientTraceparent = clientTraceparent;
        this.traceSampled = sampled;
    }

    /** The client's span id, the parent of the proxy's span; "" when the proxy started the trace. */
    public CharSequence parentSpanId() {
        return clientTraceparent == null ? "" : clientTraceparent.subSequence(36, 52);
    }

    /** Whether the trace context sent upstream has the sampled flag (false when tracing is off). */
    public boolean traceSampled() {
        return traceSampled;
    }

    /** Marks the exchange as logged and counted; true only the first time. */
    public boolean markObserved() {
        if (observed) {
            return false;
        }
        observed = true;
        return true;
    }
}
