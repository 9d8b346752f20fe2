package io.sluice.filter;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.sluice.filter.api.BodyPart;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.Headers;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.RequestHead;
import io.sluice.filter.api.ResponseHead;
import io.sluice.filter.api.Verdict;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's way through a {@link FilterChain}: calls each filter's {@code onRequest} in order, and
 * remembers where it stopped when one waits ({@link Verdict#later}), to resume there on the event loop;
 * then calls {@code onResponse} of the filters the request reached, in reverse. Made only for a request
 * whose chain is not empty. Event-loop confined, like the rest of the request.
 *
 * <p>What the chain decides goes to a {@link Gate}: the request passed every filter, or one answered it.
 */
public final class FilterRun implements FilterContext, RequestHead {
    private static final Logger log = LoggerFactory.getLogger(FilterRun.class);

    /** Where the chain's decision goes: the client connection that holds the request. */
    public interface Gate {
        /** Every filter let the request through: go on with the route's action. */
        void proceed();

        /** A filter answered (or failed: a 500): send {@code reply} as the response. */
        void answer(Reply reply);

        /** {@code http} or {@code https}: the scheme the client used (its listener's). */
        default String scheme() {
            return "http";
        }

        /** The path and query the client sent (before strip_prefix); null when the gate does not know it. */
        default String clientUri() {
            return null;
        }
    }

    private final FilterChain chain;
    private final Gate gate;
    private final HttpRequest request;
    private final ScheduledExecutorService loop;
    private final String clientIp;
    private final CharSequence requestId; // made a String only when a filter asks (it is often an AsciiString)
    private final String listener;
    private final String route;
    private final boolean hadBody; // the client declared a body (a length over 0, or chunked)

    private int next;          // the next filter whose onRequest is due
    private int reached;       // how many filters (from the first) see the response
    private boolean waiting;
    private boolean ended;
    private Object[] attributes; // key, value, key, value...: rarely used, made on first set
    private Runnable[] endCallbacks;
    private int endCount;
    private NettyHeaders requestHeaders;
    private HttpResponse response;
    private ResponseView responseView;
    private boolean responseStarted;

    public FilterRun(FilterChain chain, Gate gate, HttpRequest request, ScheduledExecutorService loop, String clientIp,
                     CharSequence requestId, String listener, String route) {
        this.chain = chain;
        this.gate = gate;
        this.request = request;
        this.loop = loop;
        this.clientIp = clientIp;
        this.requestId = requestId;
        this.listener = listener;
        this.route = route;
        this.hadBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    /**
     * True when the client sent a body whose length a filter removed (it changes the body): it then goes
     * upstream chunked.
     */
    public boolean bodyLengthRemoved() {
        return hadBody && !HttpUtil.isTransferEncodingChunked(request) && !HttpUtil.isContentLengthSet(request);
    }

    // ---------------------------------------------------------------- the request

    /** Runs the request through the chain; ends in exactly one call to the gate (now or after a wait), unless ended first. */
    public void start() {
        advance();
    }

    /** True while a filter waits on something: the client's body is held, not read. */
    public boolean waiting() {
        return waiting;
    }

    private void advance() {
        while (next < chain.size()) {
            Verdict verdict;
            try {
                verdict = chain.get(next).onRequest(this);
            } catch (RuntimeException | Error e) {
                failed(next, e);
                return;
            }
            if (!decide(verdict)) {
                return;
            }
        }
        gate.proceed();
    }

    /** Acts on filter {@code next}'s verdict; true when the chain goes on with the next filter. */
    private boolean decide(Verdict verdict) {
        if (verdict == null || verdict.isNext()) {
            next++;
            reached = next;
            return true;
        }
        if (verdict.reply() != null) {
            reached = next; // the filters before the one that answered see its answer, not the ones after
            gate.answer(verdict.reply());
            return false;
        }
        waiting = true;
        int at = next;
        CompletionStage<Verdict> stage = verdict.later();
        stage.whenComplete((v, error) -> {
            if (loop.isShutdown()) {
                return;
            }
            loop.execute(() -> resume(at, v, error));
        });
        return false;
    }

    private void resume(int at, Verdict verdict, Throwable error) {
        if (ended || !waiting || at != next) {
            return; // the client left (or the request was answered) while the filter waited
        }
        waiting = false;
        if (error != null) {
            failed(at, error);
            return;
        }
        if (decide(verdict)) { // false: it answered, or waits again
            advance();
        }
    }

    private void failed(int at, Throwable e) {
        logFailure(chain.type(at), "request", e);
        reached = at;
        waiting = false;
        gate.answer(Reply.text(500, "a filter failed"));
    }

    /**
     * A filter's failure, logged by the exception's class and where it was thrown, not by its message: a message
     * may quote the request (Netty's query decoder quotes the whole URI, an API key in it and all). The whole
     * exception, message and trace, only at DEBUG.
     */
    private void logFailure(String type, String phase, Throwable e) {
        StackTraceElement[] where = e.getStackTrace();
        log.warn("{}: filter '{}' (listener '{}', route '{}') failed on the {}: {}{}", requestId, type, listener, route,
                phase, e.getClass().getName(), where.length > 0 ? " at " + where[0] : "");
        log.debug("{}: filter '{}' failed", requestId, type, e);
    }

    /**
     * One part of the request body, through the body filters the request passed. Returns the part to
     * forward (maybe another: the old one was released), or null when a filter answered ({@code part} was
     * released and {@code answer} holds the reply).
     */
    public HttpContent onRequestBody(HttpContent part, Reply[] answer) {
        if (!chain.wantsRequestBody()) {
            return part;
        }
        Part view = new Part(part);
        for (int i = 0; i < reached; i++) {
            Filter f = chain.get(i);
            if (!f.wantsRequestBody()) {
                continue;
            }
            Verdict verdict;
            try {
                verdict = f.onRequestBody(this, view);
            } catch (RuntimeException | Error e) {
                logFailure(chain.type(i), "request body", e);
                verdict = Verdict.answer(500, "a filter failed");
            }
            if (verdict != null && !verdict.isNext()) {
                view.content.release();
                answer[0] = verdict.reply() != null ? verdict.reply() : Reply.text(500, "a filter failed");
                return null;
            }
        }
        return view.content;
    }

    // ---------------------------------------------------------------- the response

    /** The response head on its way out: the filters the request reached, last first. */
    public void onResponse(HttpResponse head) {
        this.response = head;
        for (int i = reached - 1; i >= 0; i--) {
            try {
                chain.get(i).onResponse(this);
            } catch (RuntimeException | Error e) {
                logFailure(chain.type(i), "response", e);
            }
        }
        responseStarted = true;
    }

    /** Whether request body parts go through {@link #onRequestBody} (some filter the request reached wants them). */
    public boolean wantsRequestBody() {
        return chain.wantsRequestBody() && reached > 0;
    }

    /** Whether response body parts go through {@link #onResponseBody}. */
    public boolean wantsResponseBody() {
        return chain.wantsResponseBody() && reached > 0;
    }

    /** One part of the response body through the body filters; returns the part to write (maybe another). */
    public HttpContent onResponseBody(HttpContent part) {
        Part view = new Part(part);
        for (int i = reached - 1; i >= 0; i--) {
            Filter f = chain.get(i);
            if (f.wantsResponseBody()) {
                try {
                    f.onResponseBody(this, view);
                } catch (RuntimeException | Error e) {
                    logFailure(chain.type(i), "response body", e);
                }
            }
        }
        return view.content;
    }

    /** The request is over (answered, failed, or the client left): the end callbacks run, once. */
    public void end() {
        if (ended) {
            return;
        }
        ended = true;
        waiting = false;
        for (int i = endCount - 1; i >= 0; i--) {
            try {
                endCallbacks[i].run();
            } catch (RuntimeException e) {
                logFailure("(an end callback)", "end", e);
            }
        }
        endCallbacks = null;
    }

    // ---------------------------------------------------------------- FilterContext

    @Override
    public RequestHead request() {
        return this;
    }

    @Override
    public ResponseHead response() {
        if (response == null) {
            return null;
        }
        if (responseView == null || responseView.head != response) {
            responseView = new ResponseView(response);
        }
        return responseView;
    }

    @Override
    public String clientIp() {
        return clientIp;
    }

    @Override
    public String requestId() {
        return requestId.toString();
    }

    @Override
    public String listener() {
        return listener;
    }

    @Override
    public String scheme() {
        return gate.scheme();
    }

    @Override
    public String route() {
        return route;
    }

    @Override
    public String clientUri() {
        String uri = gate.clientUri();
        return uri != null ? uri : request.uri();
    }

    @Override
    public ScheduledExecutorService executor() {
        return loop;
    }

    @Override
    public boolean responseStarted() {
        return responseStarted;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key) {
        if (attributes != null) {
            for (int i = 0; i < attributes.length; i += 2) {
                if (attributes[i] == key) {
                    return (T) attributes[i + 1];
                }
            }
        }
        return null;
    }

    @Override
    public <T> void set(Key<T> key, T value) {
        if (attributes == null) {
            attributes = new Object[4];
        }
        int free = -1;
        for (int i = 0; i < attributes.length; i += 2) {
            if (attributes[i] == key) {
                attributes[i + 1] = value;
                return;
            }
            if (attributes[i] == null && free < 0) {
                free = i;
            }
        }
        if (free < 0) {
            free = attributes.length;
            attributes = java.util.Arrays.copyOf(attributes, attributes.length * 2);
        }
        attributes[free] = key;
        attributes[free + 1] = value;
    }

    @Override
    public void onEnd(Runnable callback) {
        if (ended) {
            callback.run();
            return;
        }
        if (endCallbacks == null) {
            endCallbacks = new Runnable[2];
        } else if (endCount == endCallbacks.length) {
            endCallbacks = java.util.Arrays.copyOf(endCallbacks, endCount * 2);
        }
        endCallbacks[endCount++] = callback;
    }

    // ---------------------------------------------------------------- RequestHead

    @Override
    public String method() {
        return request.method().name();
    }

    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public String path() {
        String uri = request.uri();
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    @Override
    public String query(String name) {
        List<String> values = new QueryStringDecoder(request.uri()).parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public String cookie(String name) {
        for (String header : request.headers().getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie c : ServerCookieDecoder.LAX.decodeAll(header)) {
                if (c.name().equals(name)) {
                    return c.value();
                }
            }
        }
        return null;
    }

    @Override
    public Headers headers() {
        if (requestHeaders == null) {
            requestHeaders = new NettyHeaders(request.headers());
        }
        return requestHeaders;
    }

    @Override
    public void setUri(String uri) {
        if (uri == null || !uri.startsWith("/")) {
            throw new IllegalArgumentException("uri: " + uri + " (expected: a path starting with /)");
        }
        request.setUri(uri);
    }

    @Override
    public void setPath(String path) {
        String uri = request.uri();
        int q = uri.indexOf('?');
        setUri(q < 0 ? path : path + uri.substring(q));
    }

    @Override
    public long contentLength() {
        return HttpUtil.isTransferEncodingChunked(request) ? -1 : HttpUtil.getContentLength(request, -1L);
    }

    @Override
    public String toString() {
        return "FilterRun[" + requestId + " " + listener + "/" + route + " at " + next + "/" + chain.size() + "]";
    }

    /** The response head as filters see it. */
    private static final class ResponseView implements ResponseHead {
        final HttpResponse head;
        private NettyHeaders headers;

        ResponseView(HttpResponse head) {
            this.head = head;
        }

        @Override
        public int status() {
            return head.status().code();
        }

        @Override
        public void setStatus(int status) {
            head.setStatus(HttpResponseStatus.valueOf(status));
        }

        @Override
        public Headers headers() {
            if (headers == null) {
                headers = new NettyHeaders(head.headers());
            }
            return headers;
        }
    }

    /** A body part as filters see it; {@link #replace} swaps the Netty content it wraps. */
    private static final class Part implements BodyPart {
        HttpContent content;

        Part(HttpContent content) {
            this.content = content;
        }

        @Override
        public ByteBuffer content() {
            return content.content().nioBuffer().asReadOnlyBuffer();
        }

        @Override
        public int length() {
            return content.content().readableBytes();
        }

        @Override
        public boolean isLast() {
            return content instanceof LastHttpContent;
        }

        @Override
        public void replace(ByteBuffer bytes) {
            byte[] copy = new byte[bytes.remaining()];
            bytes.duplicate().get(copy);
            HttpContent replaced = content.replace(Unpooled.wrappedBuffer(copy));
            content.release();
            content = replaced;
        }
    }
}
