package io.sluice.response;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.config.HeaderOps;
import io.sluice.exchange.Exchange;
import io.sluice.exchange.RequestId;
import io.sluice.filter.FilterRun;
import io.sluice.filter.HeaderRewrite;

/**
 * The one place every final response head passes before it goes to the client, whoever made it: the
 * upstream, a {@code respond} or {@code static} route, the proxy's own replies, a filter's answer. So the
 * route's {@code response_headers}, the response filters and the proxy's own headers apply to all alike.
 */
public final class ResponseHeads {
    private static final io.netty.util.AsciiString CACHE_STATUS = io.netty.util.AsciiString.cached("cache-status");

    private ResponseHeads() {
    }

    /**
     * Finishes {@code response} in place, from the inside out: the route's response_headers, the filters the
     * request reached (last first), then what the proxy owns: X-Request-ID, the framing (chunked when there
     * is no length; the end of the connection for HTTP/1.0) and Connection. Records the status on the exchange.
     *
     * @param filters        the request's filter run; null when its chain is empty
     * @param mayDiscardBody whether a request body still arriving may be read and dropped (else the
     *                       connection closes after this response)
     */
    public static void finish(HttpResponse response, Exchange ex, HeaderOps responseHeaders, FilterRun filters,
                              boolean mayDiscardBody) {
        HttpHeaders headers = response.headers();
        HeaderRewrite.apply(responseHeaders, headers);
        if (filters != null) {
            filters.onResponse(response);
            String cacheStatus = headers.get(CACHE_STATUS); // only a filter sets it: routes without one skip the read
            if (cacheStatus != null) {
                ex.cacheStatus(cacheStatus);
            }
        }
        int code = response.status().code();
        ex.status(code);
        headers.set(RequestId.HEADER, ex.requestId());
        if (code == 101) {
            return; // the connection becomes a tunnel: no framing, no Connection: close
        }
        boolean bodyless = code == 204 || code == 304 || ex.method() == HttpMethod.HEAD;
        if (!bodyless && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)
                && !HttpUtil.isTransferEncodingChunked(response)) {
            if (ex.clientVersion() == HttpVersion.HTTP_1_0) {
                ex.closeAfterResponse(); // the end of the body is the end of the connection
            } else {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        if (!ex.requestComplete() && !mayDiscardBody) {
            ex.closeAfterResponse();
        }
        if (!ex.keepAlive()) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (ex.clientVersion() == HttpVersion.HTTP_1_0) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }
}
