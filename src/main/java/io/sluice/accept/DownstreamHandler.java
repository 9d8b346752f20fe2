package io.sluice.accept;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.sluice.exchange.ClientAddress;
import io.sluice.config.HeaderOps;
import io.sluice.exchange.Downstream;
import io.sluice.exchange.Exchange;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.exchange.RequestId;
import io.sluice.filter.FilterChain;
import io.sluice.filter.FilterRun;
import io.sluice.filter.ForwardedHeaders;
import io.sluice.filter.HopByHopHeaders;
import io.sluice.filter.api.Reply;
import io.sluice.response.LocalAnswers;
import io.sluice.response.LocalReplies;
import io.sluice.response.ResponseHeads;
import io.sluice.response.StaticFiles;
import io.sluice.route.RequestPath;
import io.sluice.route.Route;
import io.sluice.route.RouteTable;
import io.sluice.tls.AcmeChallenges;
import io.sluice.upstream.ProxyCall;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of an http listener (or one h2 stream): takes decoded requests one at a time, routes
 * each, and hands it to its action (forward, respond, static). Requests are answered in order: while one is in
 * progress, pipelined ones wait in a {@link ReadAhead}, and the socket is not read further.
 *
 * <p>A request, top to bottom (the sections below follow it):
 * <ol>
 * <li>reading: {@code channelRead} → {@code startExchange}: {@link RequestChecks}, path normalisation, the
 *     early answers (ACME, redirect_to_https), the route match and strip_prefix;</li>
 * <li>the filter chain ({@link FilterRun}; skipped when the route has none): it calls back
 *     {@link #proceed} or {@link #answer}; while a filter waits, body parts are held ({@code heldBody});</li>
 * <li>the action: {@code forward} hands the request to a {@link ProxyCall} (which writes the response back
 *     through this class as its {@link Downstream} sink); {@code respond} and the early answers are
 *     {@link LocalAnswers}; {@code serveStatic}; an accepted upgrade becomes a tunnel ({@link Upgrades});</li>
 * <li>every response head is finished in one place ({@link io.sluice.response.ResponseHeads}), then
 *     {@link #responseFinished} goes on with the next request;</li>
 * <li>beside the path: the client timeouts and parking (the last sections).</li>
 * </ol>
 *
 * <p>Auto-read is off: the handler asks for bytes only when it can use them, which is how a slow
 * upstream slows the client down instead of filling memory.
 *
 * <p>The client's timeouts ({@code server.client_timeouts}) are a {@link ClientTimer}: the request path only
 * notes times there, and the timer asks this class ({@link ClientTimer.Connection}) what it waits for when it
 * fires. An h2 stream is timed for request_body and send only (a stalled body, a client that never opens
 * the stream's window); its connection's idle handler covers the rest. The same timer parks an HTTP/1.1
 * connection that has waited {@link #PARK_AFTER_NANOS} for its next request: this handler and the codec give
 * way to a small {@link ParkedConnection} (see there why).
 *
 * <p>Everything here is per connection (per stream on h2, where a handler serves one request), so what is
 * split out of it is static or made only when its feature is used: nothing is allocated per request for it.
 */
public final class DownstreamHandler extends ChannelInboundHandlerAdapter
        implements Downstream, FilterRun.Gate, ClientTimer.Connection {
    private static final Logger log = LoggerFactory.getLogger(DownstreamHandler.class);
    private static final long MAX_DISCARDED_BODY = 1024 * 1024;
    /** How much of a request body is read (and held) while a filter waits, before reading stops. */
    private static final long MAX_HELD_BODY = 64 * 1024;
    /** How long an HTTP/1.1 connection waits for its next request before it is parked. */
    static final long PARK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ListenerContext listener;
    /** Builds an HTTP/1.1 connection's codec again after parking; null on an h2 stream. */
    private final HttpListenerInitializer pipelines;
    private final HttpVersion streamVersion; // null: the request's own (HTTP/1.x)
    private ReadAhead pending; // made when a request is read ahead (pipelining): most connections never do
    private ChannelHandlerContext ctx;
    private String clientIp;
    /** X-Forwarded-Port: the port the client connected to (a PROXY header's destination port when one came). */
    private AsciiString serverPort;
    private ConnectionMeter meter;

    private Exchange exchange;
    private Route route;        // the exchange's route; null when none matched
    private FilterRun filters;  // the exchange's way through its filter chain; null when the chain is empty
    private io.sluice.forward.ForwardProxy forwarding; // a forward proxy's request waiting for its auth, else null
    private String forwardTarget; // its request target as the client sent it
    private ArrayDeque<HttpContent> heldBody; // body parts read while a filter waits (see MAX_HELD_BODY)
    private long heldBytes;
    private ProxyCall call;
    private boolean responseDone;
    private boolean continueAnswered;
    private long discarded;
    private boolean closing;
    private boolean upgradeRequested;
    private boolean readInProgress; // between channelRead and channelReadComplete (see Downstream#readInProgress)

    // client timeouts and parking
    private final ClientTimer timer;
    private StrictRequestDecoder decoder; // null on an h2 stream
    private final boolean resumed;        // put back by a ParkedConnection: the connection was waiting already
    private boolean lingerOnClose; // the connection ends with a LingeringClose (a long body left unread)
    private ChannelFuture staticBody; // a static file still being sent (through ChunkedWriteHandler on TLS)

    /** An HTTP/1.x connection's handler. */
    DownstreamHandler(ListenerContext listener, HttpListenerInitializer pipelines) {
        this(listener, pipelines, null);
    }

    /**
     * {@code pipelines} null on an h2 or h3 stream (no codec of its own to park), whose version
     * ({@link Exchange#HTTP_2}, {@link Exchange#HTTP_3}) is {@code streamVersion}, for logs and spans.
     */
    DownstreamHandler(ListenerContext listener, HttpListenerInitializer pipelines, HttpVersion streamVersion) {
        this.listener = listener;
        this.pipelines = pipelines;
        this.streamVersion = streamVersion;
        this.resumed = false;
        this.timer = new ClientTimer(listener, PARK_AFTER_NANOS, 0, false);
    }

    /** Takes over from a {@link ParkedConnection}: waiting for a request since {@code waitingSince}. */
    DownstreamHandler(HttpListenerInitializer pipelines, long waitingSince, boolean servedOne) {
        this.listener = pipelines.listener();
        this.pipelines = pipelines;
        this.streamVersion = null;
        this.resumed = true;
        this.timer = new ClientTimer(listener, PARK_AFTER_NANOS, waitingSince, servedOne);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        timer.start(this, ctx.executor());
        if (ctx.channel().isActive()) {
            start(); // added after the TLS handshake or the h2c sniffing
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (clientIp != null) {
            return;
        }
        // the PROXY header's source when the listener takes one; RFC 5952 short form without brackets ("::1")
        clientIp = ClientAddress.ip(ctx.channel());
        // the listener's own port, made once for it; only a PROXY header's destination is read per connection
        serverPort = listener.proxyProtocolFrom() == null ? listener.port()
                : ForwardedHeaders.port(ClientAddress.destination(ctx.channel()), listener.port());
        meter = ctx.pipeline().get(ConnectionMeter.class);
        decoder = ctx.pipeline().get(StrictRequestDecoder.class);
        if (http1()) {
            timer.connectionStarted(!resumed);
        }
        if (!resumed) {
            ctx.read(); // resumed: the bytes that woke the connection are being read, and more are asked for after
        }
    }

    private HttpVersion clientVersion(HttpRequest request) {
        return streamVersion != null ? streamVersion : request.protocolVersion();
    }

    /** A connection of its own (HTTP/1.1), not an h2 stream: timed for idle and request_head, parked when idle. */
    private boolean http1() {
        return pipelines != null;
    }

    // ---------------------------------------------------------------- reading

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readInProgress = true; // until channelReadComplete, which flushes the upstream request
        if (msg instanceof FullHttpRequest full) {
            // the request of an h2c upgrade comes whole: split it into the head and body the rest of the path
            // expects, so that neither is written twice (h2 streams come split already: Http2ToHttp1Codec)
            HttpRequest head = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
            head.setDecoderResult(full.decoderResult());
            channelRead(ctx, head);
            channelRead(ctx, new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
            return;
        }
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if ((exchange != null && exchange.requestComplete()) || takeUpScheduled()) {
            if (pending == null) {
                pending = new ReadAhead(this::takeUpReadAhead);
            }
            pending.add(msg); // pipelined: waits for the response in progress
        } else {
            handle(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null && !exchange.requestComplete()) {
            timer.bodyReadAndArm(); // request_body counts from here
        } else if (exchange == null && decoder != null && decoder.headStartNanos() != 0) {
            timer.headRead(decoder.headStartNanos()); // part of a head came
        }
        if (call != null) {
            call.flushRequest();
        }
        readInProgress = false;
        ctx.flush();
        maybeRead();
    }

    @Override
    public boolean readInProgress() {
        return readInProgress;
    }

    private void handle(Object msg) {
        if (msg instanceof HttpRequest request) {
            if (exchange != null) {
                // The decoder never starts a request inside another; guard anyway.
                ReferenceCountUtil.release(msg);
                abort(exchange);
                return;
            }
            startExchange(request);
            if (msg instanceof HttpContent content) {
                onBody(content);
            }
        } else if (msg instanceof HttpContent content) {
            onBody(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Reads more when the connection can use it: between requests, or for a body the consumer can take. */
    private void maybeRead() {
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        if (exchange == null) {
            if (noPending()) {
                ctx.read();
            }
        } else if (!exchange.requestComplete()) {
            if (filters != null && filters.waiting()) {
                // A filter decides first: the body read meanwhile is held up to a bound, the rest waits in the
                // socket. Reading on below the bound is how a client that leaves while it waits is noticed.
                if (heldBytes < MAX_HELD_BODY) {
                    ctx.read();
                }
                return;
            }
            if (call == null || call.wantsMoreBody()) {
                ctx.read();
            }
        } else if (!upgradeRequested && (pending == null || pending.hasRoom())) {
            // Read ahead while the response is on its way: a keep-alive client's next request is queued,
            // the socket stays armed for reading (with auto-read off, every pause in reading costs two
            // epoll_ctl calls), and a client that goes away is noticed at once, so its upstream request
            // is cancelled (as nginx does unless proxy_ignore_client_abort). Bounded, so a pipelining
            // client cannot fill memory.
            ctx.read();
        }
    }

    @Override
    public void resumeReading() {
        if (exchange != null && !exchange.requestComplete()) {
            timer.bodyRead(); // the upstream held the body back: the client was not late
        }
        maybeRead();
    }

    // ---------------------------------------------------------------- a new request

    private void startExchange(HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            exchange = new Exchange(request, clientVersion(request), RequestId.generate(), clientIp, "/", false,
                    System.nanoTime());
            exchange.requestComplete(true);
            log.debug("bad request from {}: {}", clientIp, cause.toString());
            RequestChecks.Refusal refusal = RequestChecks.undecodable(request, cause);
            replyLocal(exchange, refusal.status,
                    refusal == RequestChecks.Refusal.MALFORMED ? cause.getMessage() : refusal.detail);
            return;
        }
        HttpHeaders headers = request.headers();
        String id = headers.get(RequestId.HEADER);
        CharSequence requestId = RequestId.acceptable(id) ? id : RequestId.generate();
        io.sluice.forward.ForwardProxy forwardProxy = listener.forwardProxy();
        boolean tunnel = forwardProxy != null && request.method() == HttpMethod.CONNECT; // authority-form target
        String target = request.uri(); // before validate() turns an absolute-form target into origin-form
        String problem = tunnel ? RequestChecks.hostProblem(headers) : RequestChecks.validate(request);
        String uri = request.uri();
        String rawPath = RouteTable.pathOf(uri);
        String path = problem == null && !tunnel ? RequestPath.normalize(rawPath) : rawPath;
        if (path == null) {
            problem = "bad request path (climbs above the root, or a broken percent-encoding)";
            path = rawPath;
        }
        boolean keepAlive = problem == null && HttpUtil.isKeepAlive(request) && !listener.draining();
        exchange = new Exchange(request, clientVersion(request), requestId, clientIp, path, keepAlive,
                System.nanoTime());
        responseDone = false;
        continueAnswered = false;
        discarded = 0;
        if (problem != null) {
            replyLocal(exchange, HttpResponseStatus.BAD_REQUEST, problem);
            return;
        }
        RequestChecks.Refusal refusal = RequestChecks.refusal(request, forwardProxy != null);
        if (refusal != null) {
            if (refusal.close) {
                exchange.closeAfterResponse();
            }
            replyLocal(exchange, refusal.status, refusal.detail);
            return;
        }
        if (path != rawPath) {
            request.setUri(path + uri.substring(rawPath.length())); // the upstream gets what the route matched
        }
        if (forwardProxy != null) { // a forward proxy: the client names the destination (io.sluice.forward)
            if (tunnel) {
                upgradeRequested = true; // no read-ahead: what follows is the tunnel's
            }
            FilterChain auth = forwardProxy.auth();
            if (auth.isEmpty()) {
                forwardProxy(forwardProxy, request, target);
                return;
            }
            exchange.route(tunnel ? "connect" : "forward"); // a 407 is logged and counted as the request it answers
            forwarding = forwardProxy;
            forwardTarget = target;
            filters = new FilterRun(auth, this, request, ctx.channel().eventLoop(), clientIp, exchange.requestId(),
                    listener.name(), "");
            filters.start(); // then act()
            return;
        }
        String acme = AcmeChallenges.http01(path);
        if (acme != null) { // an ACME HTTP-01 validation: before the redirect and the routes
            answerLocally(LocalAnswers.acmeChallenge(ctx.alloc(), acme));
            return;
        }
        if (listener.httpsRedirectPort() > 0) {
            answerLocally(LocalAnswers.httpsRedirect(request, ctx.channel(), listener.httpsRedirectPort()));
            return;
        }
        RouteTable routes = listener.routes();
        route = routes.match(request, path);
        FilterChain chain = routes.filters();
        if (route != null) {
            exchange.route(route.name());
            request.setUri(route.rewriteUri(request.uri(), path)); // strip_prefix: filters see what goes on
            chain = route.filters();
        }
        if (chain.isEmpty()) {
            act();
            return;
        }
        stripClientNamed(headers);
        filters = new FilterRun(chain, this, request, ctx.channel().eventLoop(), clientIp, exchange.requestId(),
                listener.name(), route == null ? "" : route.name());
        filters.start();
    }

    /** Before filters run: what the client's Connection names goes now, not after them (one lookup when absent). */
    private static void stripClientNamed(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            HopByHopHeaders.stripClientNamed(headers);
        }
    }

    /** A forward proxy's request, after its auth (if any): a CONNECT tunnel or an absolute-form request. */
    private void forwardProxy(io.sluice.forward.ForwardProxy forwardProxy, HttpRequest request, String target) {
        if (request.method() == HttpMethod.CONNECT) {
            forwardProxy.tunnel(this, exchange, request);
        } else {
            Route route = forwardProxy.route(this, exchange, request, target);
            if (route != null) {
                forward(request, route, request.headers().contains(HttpHeaderNames.EXPECT));
            }
        }
    }

    /** The route's action, once the filters (if any) let the request through. */
    private void act() {
        if (forwarding != null) {
            forwardProxy(forwarding, exchange.request(), forwardTarget);
            return;
        }
        if (route == null) {
            replyLocal(exchange, HttpResponseStatus.NOT_FOUND, "no route matches");
            return;
        }
        HttpRequest request = exchange.request();
        switch (route.action()) {
            case FORWARD -> forward(request, route, request.headers().contains(HttpHeaderNames.EXPECT));
            case RESPOND -> answerLocally(LocalAnswers.respond(ctx.alloc(), route.respond()));
            case STATIC -> serveStatic(request, route);
            default -> throw new IllegalStateException(route.action().toString());
        }
    }

    // ---------------------------------------------------------------- FilterRun.Gate

    @Override
    public void proceed() {
        act();
        ArrayDeque<HttpContent> held = heldBody;
        if (held != null) {
            heldBody = null;
            heldBytes = 0;
            HttpContent part;
            while ((part = held.poll()) != null) {
                deliverBody(part);
            }
        }
        if (call != null) {
            call.flushRequest();
        }
        ctx.flush();
        maybeRead(); // reading stopped while a filter waited
    }

    @Override
    public void answer(Reply reply) {
        releaseHeldBody();
        answerLocally(LocalReplies.create(ctx.alloc(), reply, exchange.requestId()));
    }

    /** A whole answer of the proxy's own ({@link LocalAnswers}, a filter's): counted, finished, written, done. */
    private void answerLocally(FullHttpResponse response) {
        Exchange ex = exchange;
        closeIfBodyTooLongToDrop(ex);
        listener.localReplies().record(response.status().code(), System.nanoTime() - ex.startNanos());
        writeFull(response);
        responseFinished(ex);
    }

    private void forward(HttpRequest request, Route route, boolean expectContinue) {
        HttpHeaders headers = request.headers();
        boolean upgrade = Upgrades.requested(headers);
        boolean chunked = HttpUtil.isTransferEncodingChunked(request) || (filters != null && filters.bodyLengthRemoved());
        upgradeRequested = upgrade; // no read-ahead: what follows may not be HTTP
        if (!upgrade) {
            headers.remove(HttpHeaderNames.UPGRADE);
        }
        ForwardedHeaders.apply(headers, clientIp, listener.scheme(), serverPort);
        listener.observer().startTrace(headers, exchange);
        ProxyCall.prepareHead(request, route, exchange.requestId(), upgrade, chunked);
        if (expectContinue && request.protocolVersion() == HttpVersion.HTTP_1_1) {
            continueAnswered = true;
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        call = new ProxyCall(this, exchange, route, request);
        call.start();
    }

    private void serveStatic(HttpRequest request, Route route) {
        String path = RouteTable.pathOf(request.uri()); // strip_prefix (and filters) applied already
        // A redirect to the directory's slash names what the client asked for (normalised, before strip_prefix).
        String asked = exchange.uri();
        request.setUri(exchange.path() + asked.substring(RouteTable.pathOf(asked).length()));
        Exchange current = exchange;
        FilterRun run = filters != null && filters.wantsResponseBody() ? filters : null;
        StaticFiles.Decorator decorator = run == null ? this::finishHead : new StaticFiles.Decorator() {
            @Override
            public void accept(HttpResponse response) {
                finishHead(response);
            }

            @Override
            public java.util.function.UnaryOperator<HttpContent> body() {
                return run::onResponseBody; // this request's run: the file's chunks may come after the next request began
            }
        };
        ChannelFuture sent = route.staticFiles().serve(ctx, request, path, decorator);
        staticBody = sent.isDone() ? null : sent;
        FilterRun running = filters;
        if (running != null && !sent.isDone()) {
            // The filters end when the file's last write completes or fails (the client gone), not with the
            // exchange, which ends now so that the next request can be read: body filters see chunks until then
            // (compress frees its compressor at its end) and a concurrency slot is held until then (the spec).
            filters = null;
            sent.addListener(f -> running.end());
        }
        listener.localReplies().record(current.status(), System.nanoTime() - current.startNanos());
        responseFinished(current);
    }

    // ---------------------------------------------------------------- the response (one path for every head)

    /** Every final response head passes here: see {@link ResponseHeads#finish}. */
    private void finishHead(HttpResponse response) {
        ResponseHeads.finish(response, exchange, route == null ? HeaderOps.NONE : route.responseHeaders(), filters,
                mayDiscardBody());
        String altSvc = listener.altSvc();
        if (altSvc != null) { // http3: true; the client may move to HTTP/3 (RFC 9114 §3.1.1)
            response.headers().set(HttpHeaderNames.ALT_SVC, altSvc);
        }
    }

    /** A whole response the proxy made (local reply, respond, a filter's answer): finished and written. */
    private void writeFull(FullHttpResponse response) {
        finishHead(response);
        int code = response.status().code();
        if ((exchange.method() == HttpMethod.HEAD || code == 204 || code == 304) && response.content().isReadable()) {
            // HTTP/1.1's encoder drops such an answer's body, HTTP/2's and HTTP/3's frame codecs would send it
            FullHttpResponse headOnly = response.replace(Unpooled.EMPTY_BUFFER);
            response.release();
            response = headOnly;
        }
        if (filters != null && filters.wantsResponseBody()) {
            ctx.write(new DefaultHttpResponse(response.protocolVersion(), response.status(), response.headers()),
                    ctx.voidPromise());
            ctx.write(filters.onResponseBody(new DefaultLastHttpContent(response.content())), ctx.voidPromise());
        } else {
            ctx.write(response, ctx.voidPromise());
        }
    }

    @Override
    public String scheme() {
        return listener.scheme().toString();
    }

    @Override
    public boolean secure() {
        return listener.scheme().contentEquals("https");
    }

    @Override
    public String clientUri() {
        return exchange.uri();
    }

    @Override
    public io.netty.buffer.ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public Channel clientChannel() {
        return ctx.channel();
    }

    @Override
    public void sendHead(HttpResponse head) {
        finishHead(head);
        ctx.write(head, ctx.voidPromise());
    }

    @Override
    public void sendInterim(HttpResponse interim) {
        Exchange current = exchange;
        if (current != null && current.clientVersion() == HttpVersion.HTTP_1_0) {
            return; // RFC 9110 15.2: no 1xx to an HTTP/1.0 client
        }
        ctx.write(interim, ctx.voidPromise());
        // The encoder waits for the end of every head it writes, even a bodiless one; the upstream's empty
        // end of a 1xx is dropped, so end it here.
        ctx.write(LastHttpContent.EMPTY_LAST_CONTENT, ctx.voidPromise());
        ctx.flush(); // an early hint is of use only early: not held until the final head
    }

    @Override
    public void sendContent(HttpContent part) {
        ctx.write(filters != null && filters.wantsResponseBody() ? filters.onResponseBody(part) : part,
                ctx.voidPromise());
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public long pendingWriteBytes() {
        io.netty.channel.ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /**
     * A body the client is still sending may be read and dropped, unless it was told to wait for a 100. Asked for every
     * response head; the usual one comes after the whole request, which needs no Expect lookup (async-profiler put
     * the lookup at 0.4 µs of an h2 request on the rig; a profile's share, not a JMH figure).
     */
    private boolean mayDiscardBody() {
        return exchange.requestComplete() || continueAnswered
                || !exchange.request().headers().contains(HttpHeaderNames.EXPECT);
    }

    // ---------------------------------------------------------------- the request body

    private void onBody(HttpContent content) {
        Exchange current = exchange;
        if (current == null || current.requestComplete()) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            current.requestComplete(true);
            current.closeAfterResponse();
            if (call != null && call.responseStarted()) {
                abort(current);
            } else if (call != null) {
                call.cancel();
                call = null;
                replyLocal(current, HttpResponseStatus.BAD_REQUEST, "malformed request body");
            } else {
                abort(current); // a local answer is already on its way
            }
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            current.requestComplete(true);
        }
        if (filters != null && filters.waiting()) {
            if (heldBody == null) {
                heldBody = new ArrayDeque<>(4);
            }
            heldBody.add(content); // bounded: maybeRead stops reading at MAX_HELD_BODY (plus one read burst)
            heldBytes += content.content().readableBytes();
            return;
        }
        deliverBody(content);
    }

    /** A body part for the request in progress: through the body filters, then to the upstream (or dropped). */
    private void deliverBody(HttpContent content) {
        Exchange current = exchange;
        boolean last = content instanceof LastHttpContent;
        if (filters != null && filters.wantsRequestBody() && !responseDone) {
            Reply[] refused = new Reply[1];
            content = filters.onRequestBody(content, refused);
            if (content == null) {
                bodyRefused(current, refused[0]);
                return;
            }
        }
        if (call != null) {
            call.onRequestContent(content);
        } else {
            discarded += content.content().readableBytes();
            content.release();
            if (discarded > MAX_DISCARDED_BODY) {
                abort(current);
                return;
            }
        }
        if (last && responseDone) {
            nextExchange();
        }
    }

    /** A body filter refused the body (body_limit): the upstream request is aborted, the client answered if it can be. */
    private void bodyRefused(Exchange ex, Reply reply) {
        ex.closeAfterResponse(); // the rest of the body is not read
        if (call != null && call.responseStarted()) {
            abort(ex);
            return;
        }
        if (call != null) {
            call.cancel();
            call = null;
        }
        answer(reply);
    }

    private void releaseHeldBody() {
        ArrayDeque<HttpContent> held = heldBody;
        heldBody = null;
        heldBytes = 0;
        if (held != null) {
            HttpContent part;
            while ((part = held.poll()) != null) {
                part.release();
            }
        }
    }

    // ---------------------------------------------------------------- endings

    @Override
    public void replyLocal(Exchange ex, HttpResponseStatus status, String detail) {
        if (status.code() == 400 || status.code() == 431) {
            ex.closeAfterResponse();
        }
        if (!ex.requestComplete() && !mayDiscardBody()) {
            ex.closeAfterResponse();
        }
        closeIfBodyTooLongToDrop(ex);
        // routed to an upstream: counted with its name (contract: the proxy's own answers carry it)
        ProxyMetrics.RequestMetrics replies = call != null ? call.upstreamReplies() : listener.localReplies();
        call = null;
        releaseHeldBody();
        replies.record(status.code(), System.nanoTime() - ex.startNanos());
        writeFull(LocalReplies.create(ctx.alloc(), status, detail, ex.requestId(), false));
        responseFinished(ex);
    }

    @Override
    public void responseFinished(Exchange ex) {
        endFilters();
        observe(ex);
        responseDone = true;
        if (!ex.keepAlive()) {
            closing = true;
            if (pipelines == null) { // an h2 or h3 stream
                // One stream, one request: it ends with the response. Only a request still coming is reset.
                ctx.flush();
                if (!ex.requestComplete()) {
                    ctx.close();
                }
                return;
            }
            // a client still sending its body gets the answer, then end of stream, not a reset (LingeringClose)
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ex.requestComplete() || !lingerOnClose
                    ? ChannelFutureListener.CLOSE
                    : (ChannelFutureListener) f -> {
                        if (f.isSuccess()) {
                            LingeringClose.start(f.channel());
                        } else {
                            f.channel().close();
                        }
                    });
            return;
        }
        ctx.flush();
        if (ex.requestComplete()) {
            nextExchange();
        } else {
            maybeRead(); // read and drop the rest of the body, then go on
        }
    }

    /**
     * A local answer before the end of a body declared longer than what is read and dropped after it: the answer
     * says Connection: close, and the connection lingers (see {@link LingeringClose}). Kept open, it would be
     * aborted at MAX_DISCARDED_BODY with a reset, which can cost the client the answer.
     */
    private void closeIfBodyTooLongToDrop(Exchange ex) {
        if (http1() && !ex.requestComplete()
                && HttpUtil.getContentLength(ex.request(), -1L) > MAX_DISCARDED_BODY) {
            ex.closeAfterResponse();
            lingerOnClose = true;
        }
    }

    /** Goes on with the next request: a pipelined one that waited, or a read for a new one. */
    private void nextExchange() {
        exchange = null;
        route = null;
        filters = null;
        forwarding = null;
        forwardTarget = null;
        call = null;
        responseDone = false;
        upgradeRequested = false;
        if (http1()) {
            timer.responseDone();
        }
        if (!noPending()) {
            pending.scheduleTakeUp(ctx.executor()); // the next request was read ahead (see there why a task)
            return;
        }
        maybeRead();
    }

    /** Handles requests that were read ahead, in order, until one is in progress (the {@link ReadAhead}'s task). */
    private void takeUpReadAhead() {
        while (!closing && !noPending() && (exchange == null || !exchange.requestComplete())) {
            handle(pending.poll());
        }
        if (exchange != null && !exchange.requestComplete()) {
            timer.bodyRead(); // a pipelined request's body: timed from when it is taken up
        }
        if (call != null) {
            call.flushRequest(); // body parts of a pipelined request were written outside a read burst
        }
        ctx.flush();
        maybeRead();
    }

    @Override
    public void abort(Exchange ex) {
        endFilters();
        releaseHeldBody();
        observe(ex);
        closing = true;
        if (call != null) {
            call.cancel();
            call = null;
        }
        ctx.close();
    }

    @Override
    public void switchToTunnel(Exchange ex, Channel upstream, Runnable onClose) {
        closing = true;
        call = null;
        Channel client = ctx.channel();
        boolean after101 = ex.status() == 101;
        // The exchange's filters end when its tunnel closes: a concurrency_limit slot is held while the tunnel is
        // open, and given back then (found by a review: it was never given back). An upgraded exchange (WebSocket)
        // is logged and counted then too, with the bytes both ways (a forward proxy's CONNECT tunnel, answered
        // 200, does that in its own onClose).
        FilterRun run = filters;
        filters = null;
        Runnable closed = () -> {
            onClose.run();
            if (run != null) {
                run.end();
            }
            if (after101) {
                observe(ex);
            }
        };
        Upgrades.switchToTunnel(ctx, after101, upstream, closed); // this handler is gone after it
        releasePending();
        client.read();
        upstream.read();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        timer.cancel();
        if (exchange != null) {
            observe(exchange); // the client left before its answer (logged as 499), or after it (no-op)
        }
        closing = true;
        endFilters(); // a client that leaves while a filter waits frees what the filter holds for it (a queue place)
        releaseHeldBody();
        if (call != null) {
            call.cancel(); // the client left: stop the upstream request
            call = null;
        }
        releasePending();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (call != null && ctx.channel().isWritable()) {
            call.onDownstreamWritable();
        }
        if (!ctx.channel().isWritable()) {
            timer.sendStalled(outputMark());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DrainEvent.INSTANCE) {
            if (exchange == null) {
                closing = true;
                ctx.close();
            } else {
                exchange.closeAfterResponse();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection from {} failed: {}", clientIp, cause.toString());
        closing = true;
        ctx.close();
    }

    // ---------------------------------------------------------------- client timeouts

    // What ClientTimer asks when it fires, and what happens when the client is late.

    @Override
    public boolean closed() {
        return closing || !ctx.channel().isActive();
    }

    @Override
    public int waitingFor() {
        if ((exchange == null || exchange.requestComplete()) && responseInFlight()) {
            return ClientTimer.SENDING;
        }
        if (exchange == null) {
            return takeUpScheduled() ? ClientTimer.READ_AHEAD : http1() ? ClientTimer.NEXT_REQUEST : ClientTimer.NOTHING;
        }
        return exchange.requestComplete() ? ClientTimer.UPSTREAM : ClientTimer.REQUEST_BODY;
    }

    @Override
    public long headStartNanos() {
        return decoder.headStartNanos();
    }

    @Override
    public boolean bodyHeldBack() {
        return (call != null && !call.wantsMoreBody()) || (filters != null && filters.waiting());
    }

    @Override
    public void timedOut(String timeout, boolean headStarted) {
        listener.observer().connections().timedOut(timeout);
        switch (timeout) {
            case "send" -> {
                log.debug("client {} took none of its response for {} ms: closing", clientIp,
                        TimeUnit.NANOSECONDS.toMillis(listener.clientTimeouts().send()));
                if (exchange != null) {
                    abort(exchange);
                } else {
                    closing = true;
                    ctx.close();
                }
            }
            case "request_body" -> requestBodyTimedOut(exchange);
            default -> {
                if (headStarted) {
                    requestHeadTimedOut();
                } else {
                    closing = true; // nothing of a request arrived: close without an answer, as nginx and HAProxy do
                    ctx.close();
                }
            }
        }
    }

    /** A request head started and did not finish in time: 408 and close (HAProxy's timeout http-request). */
    private void requestHeadTimedOut() {
        closing = true;
        listener.localReplies().record(408, 0);
        ctx.writeAndFlush(LocalReplies.create(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
                        "the request head did not arrive in time", RequestId.generate(), true))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** The client stopped sending its body: 408 if no response has started, else the connection just closes. */
    private void requestBodyTimedOut(Exchange ex) {
        ex.closeAfterResponse(); // HTTP/1.1: closes the connection; h2: resets the stream after the answer
        if (call != null && call.responseStarted()) {
            abort(ex);
            return;
        }
        if (call != null) {
            call.cancel();
            call = null;
        } else if (responseDone) {
            abort(ex); // the answer went out already; the rest of the body never came
            return;
        }
        replyLocal(ex, HttpResponseStatus.REQUEST_TIMEOUT, "the request body stopped arriving");
    }

    // ---------------------------------------------------------------- parking

    /**
     * Parks a connection waiting for its next request: the codec and this handler go, a
     * {@link ParkedConnection} comes. False when something is still under way (then nothing changed).
     */
    @Override
    public boolean park() {
        return noPending() && (staticBody == null || staticBody.isDone())
                && ParkedConnection.park(ctx, decoder, pipelines, timer.waitingSince(), timer.servedOne());
    }

    /** Response bytes not yet taken by the client: queued, unflushed, or a static file still streaming. */
    private boolean responseInFlight() {
        io.netty.channel.ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return !ctx.channel().isWritable() || (out != null && !out.isEmpty())
                || (staticBody != null && !staticBody.isDone());
    }

    @Override
    public long outputMark() {
        return ClientTimer.outputMark(ctx.channel(), meter);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timer.cancel(); // an upgrade (h2c, a tunnel) replaced this handler
        releasePending(); // nothing is read ahead then (see idle()); should anything be, it is not left unreleased
    }

    /**
     * No request in progress and none read ahead: only then may an h2c upgrade take the connection over, as
     * the HTTP/1.1 answers to earlier requests must come first (found by fuzzing: an upgrade pipelined behind
     * an unfinished request dropped the request read ahead between them, unreleased).
     */
    boolean idle() {
        return exchange == null && noPending();
    }

    /** The exchange is over for its filters: their end callbacks run (a concurrency slot is given back). */
    private void endFilters() {
        if (filters != null) {
            filters.end();
        }
    }

    /** Route metrics and the access log line of {@code ex}, once; the bytes are the connection's since the last one. */
    private void observe(Exchange ex) {
        listener.observer().finished(ex, meter == null ? 0 : meter.takeRead(), meter == null ? 0 : meter.takeWritten());
    }

    private boolean takeUpScheduled() {
        return pending != null && pending.takeUpScheduled();
    }

    private boolean noPending() {
        return pending == null || pending.isEmpty();
    }

    private void releasePending() {
        if (pending != null) {
            pending.release();
        }
    }
}
