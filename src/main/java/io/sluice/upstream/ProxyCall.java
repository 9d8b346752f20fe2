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
import io.sluice.config.RetryConfig;
import io.sluice.exchange.Downstream;
import io.sluice.exchange.Exchange;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.exchange.RequestId;
import io.sluice.filter.HeaderRewrite;
import io.sluice.filter.HopByHopHeaders;
import io.sluice.pool.ConnectionPool;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards one request to an upstream and relays the response: picks an endpoint, takes a pooled
 * connection (or opens one), streams the request body up and the response down with backpressure both
 * ways, and on failure retries on another endpoint or answers 502/503/504.
 *
 * <p>This is the request's forwarder: the upstream it goes to, the retry decisions and budget, the body
 * kept for a retry, the response towards the client ({@link Downstream}). Each try on one endpoint is an
 * {@link Attempt} (the endpoint, the connection and its timer, how far the exchange got on it); a retry
 * makes a new one.
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

    /** Interim (1xx) responses an upstream may send before its final one; more is a malformed response. */
    static final int MAX_INTERIM = 16;

    private final Downstream downstream;
    private final Exchange exchange;
    private final Upstream upstream;
    private final HttpRequest head;
    private final boolean idempotent;
    private final boolean upgradeRequest;
    private final boolean hostFromEndpoint;
    /** The request target before an endpoint's base path is joined to it (per attempt: endpoints differ). */
    private final String target;
    /** A request body up to this size is kept until the response starts, so the request can be retried. */
    private final long replayLimit;

    /** Body parts the proxy still owns: unsent ones, and sent ones kept for a retry while replayable. */
    private final ArrayList<HttpContent> held = new ArrayList<>(2);
    /** How many of {@link #held} went out on the current attempt's connection (while replayable). */
    private int heldSent;
    private long bodyBytes;
    private boolean replayable = true;
    private boolean requestComplete;

    private int attempts;
    private Endpoint[] tried = new Endpoint[2];
    /** The current try; null before the first. */
    private Attempt attempt;

    /** {@code sticky.store: redis}: the endpoint Redis binds the request's session to, found before the first pick. */
    private Endpoint sharedBinding;

    /**
     * What the upstream's circuit breaker answered: a half-open round's trial ticket until the request's first
     * outcome is reported, then (and without a breaker or a trial) {@link CircuitBreaker#PASSED}.
     */
    private int admitted = CircuitBreaker.PASSED;
    /** A copy of this request for the route's mirror while its body is collected; null when none. */
    private MirrorCall mirror;

    private boolean responseStarted;
    /** Upstream reads wait for the client to take what it has (the buffer budget is exhausted). */
    private boolean heldBack;
    /** In the buffer budget's retry queue. */
    private boolean retryQueued;
    private boolean finished;
    private int status;
    /** The last failed attempt's failure: what the client gets when no endpoint is left to retry on; null if none. */
    private UpstreamFailure lastFailure;

    /**
     * @param head the request as it goes upstream: target rewritten, headers already prepared (see
     *             {@link #prepareHead})
     */
    public ProxyCall(Downstream downstream, Exchange exchange, ForwardingRoute route, HttpRequest head) {
        this.downstream = downstream;
        this.exchange = exchange;
        this.upstream = route.upstreamFor(head, exchange.clientIp());
        this.head = head;
        this.idempotent = isIdempotent(head.method()) || head.headers().contains(IDEMPOTENCY_KEY);
        this.upgradeRequest = head.headers().contains(HttpHeaderNames.UPGRADE);
        // HTTP/1.0 clients may send no Host; HTTP/1.1 upstreams need one: name the endpoint, as nginx does.
        this.hostFromEndpoint = !head.headers().contains(HttpHeaderNames.HOST);
        this.target = head.uri();
        if (route.mirror() != null) {
            mirror = route.mirror().copy(head, downstream.eventLoop(), downstream.alloc(), downstream.clientChannel());
        }
        RetryConfig retry = upstream.config().retry();
        this.replayLimit = retry == null ? RetryConfig.DEFAULT_MAX_BODY : retry.maxBody();
    }

    /**
     * Rewrites the request head for the upstream in place: hop-by-hop headers out, the route's header
     * operations, the request id. Forwarded-for headers are the caller's (they need the listener).
     */
    public static void prepareHead(HttpRequest request, ForwardingRoute route, CharSequence requestId, boolean upgrade,
                                   boolean chunkedBody) {
        HttpHeaders headers = request.headers();
        HopByHopHeaders.stripRequest(headers, upgrade);
        headers.remove(HttpHeaderNames.EXPECT); // the proxy answered 100 itself
        headers.set(RequestId.HEADER, requestId);
        HeaderRewrite.apply(route.requestHeaders(), headers);
        if (chunkedBody) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            // never both: an upstream that reads Content-Length would take the chunks' framing as body (smuggling)
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        } else {
            // The decoder took one decimal number; pass it on in one form ("010" as 10), so that no upstream
            // can read the client's digits differently (as octal, or past a digit limit). Found by fuzzing.
            long length = HttpUtil.getContentLength(request, -1L);
            if (length >= 0 && !Long.toString(length).equals(headers.get(HttpHeaderNames.CONTENT_LENGTH))) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, length);
            }
        }
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /** The recorder of the proxy's own answers to requests routed to this call's upstream ({@code endpoint=""}). */
    public ProxyMetrics.RequestMetrics upstreamReplies() {
        return upstream.localReplies();
    }

    public void start() {
        admitted = upstream.admit();
        if (admitted == CircuitBreaker.REFUSED) {
            fail(io.netty.handler.codec.http.HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "the circuit breaker of upstream '" + upstream.name() + "' is open", UpstreamFailure.CIRCUIT_OPEN);
            return;
        }
        upstream.requestStarted();
        StickySessions sticky = upstream.sticky();
        String session;
        if (sticky != null && sticky.looksUpFirst() && (session = sticky.session(this)) != null) {
            lookUpBinding(sticky, session);
            return;
        }
        attempt();
    }

    /**
     * Asks Redis where the request's session is bound, then makes the first attempt. The event loop is not held:
     * the body that comes meanwhile is kept as while connecting. Redis's answer, or its failure after
     * {@code redis.timeout} (then the balancer picks), comes on a Redis thread and is handed to the loop.
     */
    private void lookUpBinding(StickySessions sticky, String session) {
        io.netty.channel.EventLoop loop = downstream.eventLoop();
        sticky.lookUp(session).whenComplete((bound, neverFails) -> {
            if (loop.inEventLoop()) {
                bindingLookedUp(bound); // answered at once (Redis not connected)
            } else {
                loop.execute(() -> bindingLookedUp(bound));
            }
        });
    }

    private void bindingLookedUp(Endpoint bound) {
        if (finished) {
            return; // the client left while Redis was asked
        }
        sharedBinding = bound;
        attempt();
    }


    /** A trial request ends without an outcome for the breaker. */
    private void abandonTrial() {
        if (CircuitBreaker.isTrial(admitted)) {
            upstream.trialAbandoned(admitted);
            admitted = CircuitBreaker.PASSED;
        }
    }

    // ---------------------------------------------------------------- attempts

    private void attempt() {
        Endpoint picked = upstream.pick(this, sharedBinding);
        if (picked == null) {
            abandonTrial();
            if (attempts == 0) {
                fail(io.netty.handler.codec.http.HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "no endpoint of upstream '" + upstream.name() + "' is in service", UpstreamFailure.NO_ENDPOINT);
            } else { // none left to retry on: the last failure stands (a timeout stays a 504)
                UpstreamFailure last = lastFailure == null ? UpstreamFailure.CONNECT_FAILURE : lastFailure;
                fail(last.status(), last.detail(), lastFailure == null ? UpstreamFailure.NO_ENDPOINT : last.logToken());
            }
            return;
        }
        if (attempts == tried.length) {
            tried = java.util.Arrays.copyOf(tried, attempts * 2);
        }
        tried[attempts++] = picked;
        Attempt a = begin(picked, System.nanoTime());
        exchange.attempt(upstream.name(), picked.address());
        ConnectionPool idle = pool(picked);
        Channel pooled = idle == null ? null : idle.poll();
        if (pooled != null) {
            upstream.metrics(picked).connectionReused();
            exchange.upstreamConnectNanos(-1);
            a.reusedConnection = true;
            a.bind(pooled, this);
            send();
        } else {
            connect(a);
        }
    }

    /** A new try on {@code endpoint}: what went out on the previous one's connection is not on this one. */
    private Attempt begin(Endpoint endpoint, long startNanos) {
        heldSent = 0;
        attempt = new Attempt(endpoint, startNanos);
        return attempt;
    }

    private void connect(Attempt a) {
        // HTTP/1.1: a new connection; h2/h2c: a new stream on the endpoint's shared connection
        io.netty.util.concurrent.Future<Channel> future =
                upstream.connector().open(downstream.eventLoop(), a.endpoint, upstream, downstream.clientChannel());
        long connectStart = System.nanoTime();
        future.addListener(f -> {
            UpstreamMetering.connectDone(upstream.metrics(a.endpoint), future, System.nanoTime() - connectStart);
            connected(a, future);
        });
    }

    private void connected(Attempt a, io.netty.util.concurrent.Future<Channel> future) {
        if (finished || a != attempt || !a.active || a.channel != null) {
            if (future.isSuccess()) {
                future.getNow().close(); // the client left (or the call ended) while we were connecting
            }
            return;
        }
        if (!future.isSuccess()) {
            if (future.cause() instanceof DestinationRefusedException refused) { // the forward proxy's rules
                endAttempt(false);
                fail(io.netty.handler.codec.http.HttpResponseStatus.FORBIDDEN, refused.getMessage(), null);
                return;
            }
            attemptFailed(UpstreamFailure.CONNECT_FAILURE);
            return;
        }
        exchange.upstreamConnectNanos(System.nanoTime() - a.startNanos);
        a.bind(future.getNow(), this);
        send();
    }

    /** Sends the head and the body held so far on the current attempt's connection. */
    private void send() {
        Attempt a = attempt;
        a.requestSent = true;
        if (hostFromEndpoint) {
            head.headers().set(HttpHeaderNames.HOST, a.endpoint.authority());
        }
        if (a.endpoint.basePath() != null || head.uri() != target) {
            head.setUri(a.endpoint.target(target));
        }
        a.write(head);
        for (int i = 0; i < held.size(); i++) {
            HttpContent part = held.get(i);
            writeBody(replayable ? part.retainedDuplicate() : part, part instanceof LastHttpContent);
        }
        if (replayable) {
            heldSent = held.size();
        } else {
            held.clear(); // ownership went to the channel
        }
        if (!downstream.readInProgress()) {
            a.channel.flush();
        } // else the read's end flushes it (flushRequest), with the body parts of that read: one write, not two
        a.channel.read();
        if (!requestComplete) {
            downstream.resumeReading();
        }
    }

    private void writeBody(HttpContent part, boolean last) {
        if (last) {
            attempt.writeLast(part, upstream.config().timeouts().response().toNanos());
        } else {
            attempt.write(part);
        }
    }

    private void attemptFailed(UpstreamFailure failure) {
        Attempt a = attempt;
        Endpoint failed = a.endpoint;
        upstream.metrics(failed).attemptFailed();
        endAttempt(false);
        // A pooled connection the upstream closed just as we reused it says nothing about the endpoint:
        // try once more on a fresh connection (not a new try: same endpoint, same clock, no retry budget
        // spent), but only when sending twice is safe: an idempotent request, or nothing of it was written
        // (Go's rule). A POST that went out may have been processed (RFC 9110 9.2.2: no automatic retry).
        if (a.reusedConnection && failure == UpstreamFailure.RESET && !a.headReceived && replayable
                && !responseStarted && (idempotent || !a.requestSent)) {
            connect(begin(failed, a.startNanos));
            return;
        }
        lastFailure = failure;
        upstream.passiveFailure(failed, downstream.eventLoop());
        upstream.attemptFailed(failure, admitted);
        admitted = CircuitBreaker.PASSED;
        if (canRetry(failure.retryCondition(), failure.status().code(),
                failure == UpstreamFailure.CONNECT_FAILURE || !a.requestSent)) {
            attempt();
            return;
        }
        fail(failure.status(), failure.detail(), failure.logToken());
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
        CircuitBreaker breaker = upstream.breaker();
        if (breaker != null && breaker.state() != CircuitBreaker.State.CLOSED) {
            return false; // an open breaker sends nothing more, a half-open one only its trials (found by a review)
        }
        // Safe to send again: nothing reached the upstream, or it may see the request twice and we hold
        // all of it. Then the budget decides (it counts only retries that would happen).
        return (nothingSent || (idempotent && replayable)) && upstream.tryRetry();
    }

    /**
     * Ends the current attempt, if there is one, exactly once: its connection back to a pool ({@code reuse},
     * when it may) or closed.
     */
    private void endAttempt(boolean reuse) {
        Attempt a = attempt;
        if (a != null && a.active) {
            a.end(reuse && a.reusable() ? pool(a.endpoint) : null);
        }
    }

    /**
     * Where idle connections to {@code e} wait: the loop's pool; with send_proxy_protocol (a connection's
     * PROXY header names one client) the client connection's own, closed with it; null once that is gone.
     */
    private ConnectionPool pool(Endpoint e) {
        return upstream.config().sendProxyProtocol() == io.sluice.config.UpstreamConfig.SendProxyProtocol.OFF
                ? upstream.connector().pools().of(e)
                : upstream.connector().pools().ofClient(downstream.clientChannel(), e);
    }

    // ---------------------------------------------------------------- request body from the client

    /** One part of the request body, in order. The call owns {@code part} from here. */
    public void onRequestContent(HttpContent part) {
        if (mirror != null) {
            mirror.onBody(part); // copies what it keeps: the part stays ours
            if (part instanceof LastHttpContent) {
                mirror = null;
            }
        }
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
        if (attempt == null || !attempt.sending()) {
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
        if (attempt != null && attempt.sending()) {
            attempt.channel.flush();
        }
    }

    /** Whether the downstream may read more of the body now (the upstream connection has room). */
    public boolean wantsMoreBody() {
        return !finished && attempt != null && attempt.sending() && attempt.channel.isWritable();
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
                abortResponse(UpstreamFailure.MALFORMED);
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

    /** @return false when the response was dropped (an interim one, or one that is being retried) */
    private boolean onResponseHead(HttpResponse response) {
        int code = response.status().code();
        Attempt a = attempt;
        if (code < 200 && code != 101) {
            if (++a.interims > MAX_INTERIM) {
                // Read before any final head, 1xx heads are not held back by a slow client: bound them.
                attemptFailed(UpstreamFailure.MALFORMED);
                return false;
            }
            a.interim = true; // 1xx: the decoder follows with an empty last part; the real head comes next
            if (code != 100) {
                HopByHopHeaders.stripResponse(response.headers(), false, true); // reuse is the final head's to say
                downstream.sendInterim(response); // the upstream's empty end of this 1xx is dropped below
            }
            return false;
        }
        if (code == 101 && !upgradeRequest) {
            // A switch nobody asked for: what follows is not HTTP, and the client never wanted a tunnel.
            attemptFailed(UpstreamFailure.MALFORMED);
            return false;
        }
        String codings = response.headers().get(HttpHeaderNames.TRANSFER_ENCODING);
        if (codings != null && !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(codings)) {
            // "gzip, chunked" would reach the client de-chunked but still gzip with nothing to say so, and
            // "gzip" alone runs to the close whatever Content-Length says (RFC 9112 6.3): as nginx, refuse it
            attemptFailed(UpstreamFailure.MALFORMED); // and close the connection: its framing is unknown
            return false;
        }
        a.headReceived = true;
        a.startReadTimer(upstream.config().timeouts().read().toNanos());
        long now = System.nanoTime();
        a.endpoint.recordLatency(now - a.startNanos, now); // feeds peak_ewma
        upstream.responseStatus(a.endpoint, code, downstream.eventLoop());
        upstream.attemptAnswered(code, admitted);
        admitted = CircuitBreaker.PASSED;
        exchange.upstreamHeaderNanos(now - a.startNanos);
        if (canRetry(null, code, false)) {
            upstream.metrics(a.endpoint).attemptFailed(); // the endpoint's answer is an error for its stats
            endAttempt(false);
            attempt();
            return false;
        }
        status = code;
        exchange.status(code);
        a.switching = code == 101 && upgradeRequest;
        HttpHeaders headers = response.headers();
        a.keepAlive = HopByHopHeaders.stripResponse(headers, a.switching, response.protocolVersion().isKeepAliveDefault());
        if (upstream.sticky() != null) {
            upstream.stickyResponse(headers, a.endpoint, this, downstream.secure()); // sees the endpoint's own answer
        }
        if (!requestComplete && !a.switching) {
            exchange.closeAfterResponse(); // the rest of the request body would be read as the next request
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        responseStarted = true;
        if (replayable) {
            replayable = false;
            releaseSentParts();
        }
        // The one path every head takes finishes it: response_headers, filters, X-Request-ID, framing, Connection.
        downstream.sendHead(response);
        return true;
    }

    private void onResponseContent(HttpContent content) {
        Attempt a = attempt;
        if (a.interim) {
            a.interim = false; // the empty end of a 1xx
            content.release();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (a.switching) {
            content.release();
            if (last) {
                startTunnel();
            }
            return;
        }
        downstream.sendContent(content); // through the response body filters, when there are some
        if (last) {
            finished = true;
            upstream.metrics(a.endpoint).record(status, System.nanoTime() - exchange.startNanos());
            endAttempt(a.keepAlive && requestComplete && held.isEmpty() && a.channel.isActive());
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
        Channel connection = attempt.channel;
        if (connection != null && (!responseStarted || mayReadResponse())) {
            connection.read();
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
        resumeResponseReads();
    }

    /** The client can take more of the response again. */
    public void onDownstreamWritable() {
        resumeResponseReads();
    }

    private void resumeResponseReads() {
        Attempt a = attempt;
        if (!finished && a != null && a.channel != null && responseStarted && mayReadResponse()) {
            a.handler.readResumed(); // the timer may fire before this read completes: the pause was the client's
            a.channel.read();
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
        UpstreamFailure failure = cause instanceof io.netty.handler.codec.DecoderException
                ? UpstreamFailure.MALFORMED : UpstreamFailure.RESET;
        if (responseStarted) {
            abortResponse(failure);
        } else {
            attemptFailed(failure);
        }
    }

    /** The response head did not come within timeouts.response. */
    void responseTimedOut() {
        Attempt a = attempt;
        if (!finished && !a.headReceived && a.active) {
            long now = System.nanoTime();
            a.endpoint.recordLatency(now - a.startNanos, now);
            attemptFailed(UpstreamFailure.TIMEOUT);
        }
    }

    /** Nothing of the response body came within timeouts.read: the client sees it broken off. */
    void readTimedOut() {
        if (!finished && responseStarted) {
            log.debug("{}: no response data from {} within timeouts.read: aborting", exchange.requestId(),
                    attempt.endpoint.address());
            abortResponse(UpstreamFailure.TIMEOUT);
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
        attempt.handOverToTunnel(); // the tunnel owns the connection and the in-flight count now
        releaseHeld();
        upstream.metrics(e).record(101, System.nanoTime() - exchange.startNanos());
        downstream.switchToTunnel(exchange, up, e::requestFinished); // it ends the 101 for the encoder
    }

    // ---------------------------------------------------------------- endings

    /** The request will not be forwarded whole: a copy still collecting its body is dropped. */
    private void cancelMirror() {
        if (mirror != null) {
            mirror.cancel();
            mirror = null;
        }
    }

    /** The proxy answers itself; {@code upstreamError} is the access log's token for why (null: none). */
    private void fail(io.netty.handler.codec.http.HttpResponseStatus failStatus, String detail, String upstreamError) {
        exchange.upstreamError(upstreamError);
        cancelMirror();
        finished = true;
        releaseHeld();
        downstream.replyLocal(exchange, failStatus, detail);
    }

    /** The response broke after it started: the client must see a broken response, never a complete one. */
    private void abortResponse(UpstreamFailure why) {
        exchange.upstreamError(why.logToken());
        cancelMirror();
        finished = true;
        upstream.passiveFailure(attempt.endpoint, downstream.eventLoop());
        upstream.metrics(attempt.endpoint).record(status, System.nanoTime() - exchange.startNanos());
        endAttempt(false);
        releaseHeld();
        downstream.abort(exchange);
    }

    /** The client went away or sent a broken body: stop everything, close the upstream connection. */
    public void cancel() {
        abandonTrial();
        cancelMirror();
        if (finished) {
            releaseHeld();
            return;
        }
        finished = true;
        endAttempt(false);
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
