package io.sluice.upstream;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.sluice.balance.Endpoint;
import io.sluice.balance.PickContext;
import io.sluice.config.HeaderOps;
import io.sluice.config.RetryConfig;
import io.sluice.exchange.Downstream;
import io.sluice.exchange.Exchange;
import io.sluice.exchange.RequestId;
import io.sluice.filter.HeaderRewrite;
import io.sluice.filter.HopByHopHeaders;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards one request to an upstream and relays the response: picks an endpoint, takes a pooled
 * connection (or opens one), streams the request body up and the response down with backpressure both
 * ways, and on failure retries on another endpoint or answers 502/503/504.
 *
 * <p>Everything runs on the downstream connection's event loop; upstream connections are opened on that
 * same loop, so no field here needs synchronisation.
 */
public final class ProxyCall implements PickContext {
    private static final Logger log = LoggerFactory.getLogger(ProxyCall.class);

    /** "100" .. "599", so matching a status against retry.on allocates nothing. */
    private static final String[] STATUS_TEXT = new String[600];

    static {
        for (int code = 100; code < 600; code++) {
            STATUS_TEXT[code] = Integer.toString(code);
        }
    }

    private final Downstream downstream;
    private final Exchange exchange;
    private final Upstream upstream;
    private final HttpRequest head;
    private final boolean idempotent;
    private final boolean upgradeRequest;
    private final boolean hostFromEndpoint;
    /** A request body up to this size is kept until the response starts, so the request can be retried. */
    private final long replayLimit;

    /** Body parts the proxy still owns: unsent ones, and sent ones kept for a retry while replayable. */
    private final ArrayList<HttpContent> held = new ArrayList<>(2);
    private int heldSent;
    private long bodyBytes;
    private boolean replayable = true;
    private boolean requestComplete;

    private int attempts;
    private Endpoint[] tried = new Endpoint[2];
    /** The current try: its endpoint, its connection, how far it got. */
    private final Attempt attempt = new Attempt();

    private boolean responseStarted;
    /** Upstream reads wait for the client to take what it has (the buffer budget is exhausted). */
    private boolean heldBack;
    /** In the buffer budget's retry queue. */
    private boolean retryQueued;
    private boolean finished;
    private int status;

    /**
     * @param head the request as it goes upstream: target rewritten, headers already prepared (see
     *             {@link #prepareHead})
     */
    public ProxyCall(Downstream downstream, Exchange exchange, Upstream upstream, HttpRequest head) {
        this.downstream = downstream;
        this.exchange = exchange;
        this.upstream = upstream;
        this.head = head;
        this.idempotent = isIdempotent(head.method()) || head.headers().contains(IDEMPOTENCY_KEY);
        this.upgradeRequest = head.headers().contains(HttpHeaderNames.UPGRADE);
        // HTTP/1.0 clients may send no Host; HTTP/1.1 upstreams need one: name the endpoint, as nginx does.
        this.hostFromEndpoint = !head.headers().contains(HttpHeaderNames.HOST);
        RetryConfig retry = upstream.config().retry();
        this.replayLimit = retry == null ? RetryConfig.DEFAULT_MAX_BODY : retry.maxBody();
    }

    /**
     * Rewrites the request head for the upstream in place: hop-by-hop headers out, the route's header
     * operations, the request id. Forwarded-for headers are the caller's (they need the listener).
     */
    public static void prepareHead(HttpRequest request, HeaderOps requestHeaders, CharSequence requestId, boolean upgrade,
                                   boolean chunkedBody) {
        HttpHeaders headers = request.headers();
        HopByHopHeaders.stripRequest(headers, upgrade);
        headers.remove(HttpHeaderNames.EXPECT); // the proxy answered 100 itself
        headers.set(RequestId.HEADER, requestId);
        HeaderRewrite.apply(requestHeaders, headers);
        if (chunkedBody) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    public void start() {
        upstream.requestStarted();
        attempt();
    }

    // ---------------------------------------------------------------- attempts

    private void attempt() {
        Endpoint picked = upstream.balancer().pick(this);
        if (picked == null) {
            fail(attempts == 0 ? io.netty.handler.codec.http.HttpResponseStatus.SERVICE_UNAVAILABLE
                    : UpstreamFailure.CONNECT_FAILURE.status(),
                    attempts == 0 ? "no endpoint of upstream '" + upstream.name() + "' is in service"
                            : UpstreamFailure.CONNECT_FAILURE.detail());
            return;
        }
        if (attempts == tried.length) {
            tried = java.util.Arrays.copyOf(tried, attempts * 2);
        }
        tried[attempts++] = picked;
        attempt.begin(picked, System.nanoTime());
        exchange.attempt(upstream.name(), picked.address());
        Channel pooled = upstream.connector().pools().of(picked).poll();
        if (pooled != null) {
            upstream.metrics(picked).connectionReused();
            exchange.upstreamConnectNanos(-1);
            attempt.reusedConnection = true;
            attempt.bind(pooled, this);
            send();
        } else {
            connect();
        }
    }

    private void connect() {
        attempt.reusedConnection = false;
        // HTTP/1.1: a new connection; h2/h2c: a new stream on the endpoint's shared connection
        io.netty.util.concurrent.Future<Channel> future =
                upstream.connector().open(downstream.eventLoop(), attempt.endpoint, upstream,
                        downstream.clientChannel());
        long connectStart = System.nanoTime();
        Endpoint connecting = attempt.endpoint;
        future.addListener(f -> {
            UpstreamMetering.connectDone(upstream.metrics(connecting), future, System.nanoTime() - connectStart);
            connected(future);
        });
    }

    private void connected(io.netty.util.concurrent.Future<Channel> future) {
        if (finished || !attempt.active || attempt.channel != null) {
            if (future.isSuccess()) {
                future.getNow().close(); // the client left (or the call ended) while we were connecting
            }
            return;
        }
        if (!future.isSuccess()) {
            if (future.cause() instanceof DestinationRefusedException refused) { // the forward proxy's rules
                attempt.end(false, upstream);
                fail(io.netty.handler.codec.http.HttpResponseStatus.FORBIDDEN, refused.getMessage());
                return;
            }
            attemptFailed(UpstreamFailure.CONNECT_FAILURE);
            return;
        }
        exchange.upstreamConnectNanos(System.nanoTime() - attempt.startNanos);
        attempt.bind(future.getNow(), this);
        send();
    }


    private void send() {
        attempt.requestSent = true;
        if (hostFromEndpoint) {
            head.headers().set(HttpHeaderNames.HOST, attempt.endpoint.address());
        }
        attempt.channel.write(head, attempt.channel.voidPromise());
        for (int i = 0; i < held.size(); i++) {
            HttpContent part = held.get(i);
            writeBody(replayable ? part.retainedDuplicate() : part, part instanceof LastHttpContent);
        }
        if (replayable) {
            heldSent = held.size();
        } else {
            held.clear(); // ownership went to the attempt.channel
        }
        attempt.channel.flush();
        attempt.channel.read();
        if (!requestComplete) {
            downstream.resumeReading();
        }
    }

    private void writeBody(HttpContent part, boolean last) {
        if (last) {
            attempt.channel.write(part, attempt.channel.voidPromise());
            attempt.handler.awaitResponse(upstream.config().timeouts().response().toNanos());
        } else {
            attempt.channel.write(part, attempt.channel.voidPromise());
        }
    }

    private void attemptFailed(UpstreamFailure failure) {
        boolean wasReused = attempt.reusedConnection;
        Endpoint failed = attempt.endpoint;
        upstream.metrics(failed).attemptFailed();
        attempt.end(false, upstream);
        // A pooled connection the upstream closed just as we reused it says nothing about the endpoint:
        // try once more on a fresh connection when the request can be replayed.
        if (wasReused && failure == UpstreamFailure.RESET && !attempt.headReceived && replayable && !responseStarted
                && (idempotent || !requestSentAnyBody())) {
            reset();
            attempt.endpoint = failed;
            attempt.active = true;
            failed.requestStarted();
            connect();
            return;
        }
        upstream.passiveFailure(failed, downstream.eventLoop());
        if (canRetry(failure.retryCondition(), failure.status().code(),
                failure == UpstreamFailure.CONNECT_FAILURE || !attempt.requestSent)) {
            reset();
            attempt();
            return;
        }
        fail(failure.status(), failure.detail());
    }

    private boolean requestSentAnyBody() {
        return bodyBytes > 0;
    }

    private boolean canRetry(String condition, int code, boolean nothingSent) {
        RetryConfig retry = upstream.config().retry();
        if (retry == null || responseStarted || finished || attempts > retry.attempts()) {
            return false;
        }
        boolean covered = (condition != null && retry.on().contains(condition))
                || (code >= 100 && code < 600 && retry.on().contains(STATUS_TEXT[code]));
        if (!covered) {
            return false;
        }
        // Safe to send again: nothing reached the upstream, or it may see the request twice and we hold
        // all of it. Then the budget decides (it counts only retries that would happen).
        return (nothingSent || (idempotent && replayable)) && upstream.tryRetry();
    }

    private void reset() {
        attempt.reset();
        heldSent = 0;
    }


    // ---------------------------------------------------------------- request body from the client

    /** One part of the request body, in order. The call owns {@code part} from here. */
    public void onRequestContent(HttpContent part) {
        if (finished) {
            part.release();
            return;
        }
        bodyBytes += part.content().readableBytes();
        boolean last = part instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (replayable && bodyBytes > replayLimit) {
            replayable = false;
            releaseSentParts();
        }
        if (attempt.channel == null || !attempt.requestSent) {
            held.add(part); // still connecting: sent by send()
            return;
        }
        if (replayable) {
            held.add(part);
            heldSent++;
            writeBody(part.retainedDuplicate(), last);
        } else {
            writeBody(part, last);
        }
    }

    /** The client's read burst ended: push what was written on to the upstream. */
    public void flushRequest() {
        if (attempt.channel != null && attempt.requestSent) {
            attempt.channel.flush();
        }
    }

    /** Whether the downstream may read more of the body now (the upstream connection has room). */
    public boolean wantsMoreBody() {
        return !finished && attempt.channel != null && attempt.requestSent && attempt.channel.isWritable();
    }

    /** Lets go of the parts already sent: they can't be replayed any more. */
    private void releaseSentParts() {
        for (int i = 0; i < heldSent; i++) {
            held.get(i).release();
        }
        held.subList(0, heldSent).clear();
        heldSent = 0;
    }

    private void releaseHeld() {
        for (int i = 0; i < held.size(); i++) {
            held.get(i).release();
        }
        held.clear();
        heldSent = 0;
    }

    // ---------------------------------------------------------------- response from the upstream

    void onResponseMessage(HttpObject msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            if (responseStarted) {
                abortResponse();
            } else {
                attemptFailed(UpstreamFailure.MALFORMED);
            }
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (!onResponseHead(response)) {
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            onResponseContent(content);
        }
    }

    /** @return false when the response was dropped (an attempt.interim one, or one that is being retried) */
    private boolean onResponseHead(HttpResponse response) {
        int code = response.status().code();
        if (code < 200 && code != 101) {
            attempt.interim = true; // 1xx: the decoder follows with an empty last part; the real head comes next
            if (code != 100) {
                HopByHopHeaders.stripResponse(response.headers(), false);
                downstream.sendInterim(response);
            }
            return false;
        }
        if (code == 101 && !upgradeRequest) {
            // A switch nobody asked for: what follows is not HTTP, and the client never wanted a tunnel.
            attemptFailed(UpstreamFailure.MALFORMED);
            return false;
        }
        attempt.headReceived = true;
        startReadTimer();
        long now = System.nanoTime();
        attempt.endpoint.recordLatency(now - attempt.startNanos, now); // feeds peak_ewma
        upstream.responseStatus(attempt.endpoint, code, downstream.eventLoop());
        exchange.upstreamHeaderNanos(now - attempt.startNanos);
        if (canRetry(null, code, false)) {
            upstream.metrics(attempt.endpoint).attemptFailed(); // the endpoint's answer is an error for its stats
            attempt.end(false, upstream);
            reset();
            attempt();
            return false;
        }
        status = code;
        attempt.upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        attempt.switching = code == 101 && upgradeRequest;
        HopByHopHeaders.stripResponse(response.headers(), attempt.switching);
        if (!requestComplete && !attempt.switching) {
            exchange.closeAfterResponse(); // the rest of the request body would be read as the next request
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        responseStarted = true;
        if (replayable) {
            replayable = false;
            releaseSentParts();
        }
        downstream.sendHead(response); // response_headers, filters, X-Request-ID, framing: one path for all
        return true;
    }

    private void onResponseContent(HttpContent content) {
        if (attempt.interim) {
            attempt.interim = false; // the empty end of a 1xx
            content.release();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (attempt.switching) {
            content.release();
            if (last) {
                startTunnel();
            }
            return;
        }
        downstream.sendContent(content);
        if (last) {
            finished = true;
            upstream.metrics(attempt.endpoint).record(status, System.nanoTime() - exchange.startNanos());
            attempt.end(attempt.upstreamKeepAlive && requestComplete && held.isEmpty() && attempt.channel.isActive(), upstream);
            releaseHeld();
            downstream.responseFinished(exchange);
        }
    }

    void onResponseReadComplete() {
        if (finished) {
            return;
        }
        if (responseStarted) {
            downstream.flush();
        }
        if (attempt.channel != null && (!responseStarted || mayReadResponse())) {
            attempt.channel.read();
        }
    }

    /**
     * Whether to read more of the response now: only what the client is taking, within a window. The window
     * is the client connection's write buffer up to its high water mark, plus one read; over the
     * {@link BufferBudget} it closes to one small read, taken once the client has had everything sent so far
     * (an h2 stream has no write buffer of its own: its flow-control window and its connection's bound it).
     * A read held back here is retried by the budget's timer.
     */
    private boolean mayReadResponse() {
        if (!downstream.isWritable()) {
            return false; // channelWritabilityChanged resumes it
        }
        BufferBudget budget = upstream.connector().bufferBudget();
        if (!budget.exhausted() || downstream.pendingWriteBytes() == 0) {
            heldBack = false;
            return true;
        }
        if (!heldBack) {
            heldBack = true;
            budget.countWait();
        }
        if (!retryQueued) {
            retryQueued = true;
            budget.retryLater(this, downstream.eventLoop());
        }
        return false;
    }

    /** The buffer budget's timer: a read held back by {@link #mayReadResponse} may go ahead now. */
    void retryRead() {
        retryQueued = false;
        if (!finished && attempt.channel != null && responseStarted && mayReadResponse()) {
            attempt.handler.readResumed();
            attempt.channel.read();
        }
    }

    /** The client can take more of the response again. */
    public void onDownstreamWritable() {
        if (!finished && attempt.channel != null && responseStarted && mayReadResponse()) {
            attempt.handler.readResumed(); // the timer may fire before this read completes: the pause was the client's
            attempt.channel.read();
        }
    }

    void onUpstreamWritable() {
        if (!finished) {
            downstream.resumeReading();
        }
    }

    void onUpstreamClosed(Throwable cause) {
        if (finished) {
            return;
        }
        if (responseStarted) {
            abortResponse();
        } else {
            attemptFailed(cause instanceof io.netty.handler.codec.DecoderException
                    ? UpstreamFailure.MALFORMED : UpstreamFailure.RESET);
        }
    }

    /** The response head did not come within timeouts.response. */
    void responseTimedOut() {
        if (!finished && !attempt.headReceived && attempt.active) {
            long now = System.nanoTime();
            attempt.endpoint.recordLatency(now - attempt.startNanos, now);
            attemptFailed(UpstreamFailure.TIMEOUT);
        }
    }

    private void startReadTimer() {
        if (attempt.handler != null) {
            attempt.handler.responseArrived(upstream.config().timeouts().read().toNanos());
        }
    }

    /** Nothing of the response body came within timeouts.read: the client sees it broken off. */
    void readTimedOut() {
        if (!finished && responseStarted) {
            log.debug("{}: no response data from {} within timeouts.read: aborting", exchange.requestId(),
                    attempt.endpoint.address());
            abortResponse();
        }
    }

    /** The response is held back because the client is not taking it (so the upstream is not read). */
    boolean waitingOnClient() {
        return responseStarted && !finished && (heldBack || !downstream.isWritable());
    }

    private void startTunnel() {
        finished = true;
        Endpoint e = attempt.endpoint;
        Channel up = attempt.channel;
        attempt.active = false; // the tunnel owns the connection and the in-flight count now
        attempt.handler.stopTimers();
        attempt.handler.detach();
        releaseHeld();
        upstream.metrics(e).record(101, System.nanoTime() - exchange.startNanos());
        downstream.switchToTunnel(exchange, up, e::requestFinished);
    }

    // ---------------------------------------------------------------- endings

    private void fail(io.netty.handler.codec.http.HttpResponseStatus failStatus, String detail) {
        finished = true;
        releaseHeld();
        downstream.replyLocal(exchange, failStatus, detail);
    }

    /** The response broke after it started: the client must see a broken response, never a complete one. */
    private void abortResponse() {
        finished = true;
        upstream.passiveFailure(attempt.endpoint, downstream.eventLoop());
        upstream.metrics(attempt.endpoint).record(status, System.nanoTime() - exchange.startNanos());
        attempt.end(false, upstream);
        releaseHeld();
        downstream.abort(exchange);
    }

    /** The client went away or sent a broken body: stop everything, close the upstream connection. */
    public void cancel() {
        if (finished) {
            releaseHeld();
            return;
        }
        finished = true;
        attempt.end(false, upstream);
        releaseHeld();
    }

    public boolean responseStarted() {
        return responseStarted;
    }

    // ---------------------------------------------------------------- PickContext

    @Override
    public String sourceIp() {
        return exchange.clientIp();
    }

    @Override
    public String uri() {
        return exchange.uri();
    }

    @Override
    public String path() {
        return exchange.path();
    }

    @Override
    public String header(String name) {
        return head.headers().get(name);
    }

    @Override
    public String cookie(String name) {
        List<String> values = head.headers().getAll(HttpHeaderNames.COOKIE);
        for (String value : values) {
            for (Cookie c : ServerCookieDecoder.LAX.decodeAll(value)) {
                if (c.name().equals(name)) {
                    return c.value();
                }
            }
        }
        return null;
    }

    @Override
    public String queryParam(String name) {
        List<String> values = new QueryStringDecoder(head.uri()).parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public boolean tried(Endpoint candidate) {
        for (int i = 0; i < attempts; i++) {
            if (tried[i] == candidate) {
                return true;
            }
        }
        return false;
    }

    /**
     * A client that sends an {@code Idempotency-Key} (IETF httpapi draft) says the request may be sent twice:
     * a POST with one is retried like a PUT (Go's http.Transport treats it the same way).
     */
    private static final AsciiString IDEMPOTENCY_KEY = AsciiString.cached("idempotency-key");

    static boolean isIdempotent(HttpMethod method) {
        return method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.PUT
                || method == HttpMethod.DELETE || method == HttpMethod.OPTIONS || method == HttpMethod.TRACE;
    }
}
