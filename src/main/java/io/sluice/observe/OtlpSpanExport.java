package io.sluice.observe;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.FastThreadLocal;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.sluice.build.BuildProperties;
import io.sluice.config.TracingConfig;
import io.sluice.exchange.Exchange;
import io.sluice.metrics.ObservedMetrics;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * OTLP/HTTP export of one SERVER span per forwarded request, with the OpenTelemetry SDK: a
 * {@link BatchSpanProcessor} (bounded queue, one worker thread) and the OTLP/HTTP protobuf exporter on the
 * JDK's HttpClient. Only created when {@code tracing.otlp_endpoint} is set: with export off this class and
 * the SDK are never loaded.
 *
 * <p>The span is built when the request is finished, on its event loop, in one go: start timestamp from the
 * request's arrival, end now. Its ids are the ones {@link TraceContext} already sent upstream: an
 * {@link IdGenerator} hands the SDK the exchange's span id (and, for a trace the proxy started, its trace
 * id) through a thread-local, and a client's {@code traceparent} is the remote parent. Nothing blocks:
 * a span that would not fit the queue is dropped before it reaches the SDK and counted
 * ({@code sluice_tracing_spans_total{result="dropped"}}).
 */
public final class OtlpSpanExport implements AutoCloseable {
    static final String WORKER_THREAD = "BatchSpanProcessor_WorkerThread";

    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> SCHEME = AttributeKey.stringKey("url.scheme");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    private static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    private static final AttributeKey<String> PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
    private static final AttributeKey<String> PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");
    private static final AttributeKey<String> USER_AGENT = AttributeKey.stringKey("user_agent.original");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    private static final AttributeKey<String> LISTENER = AttributeKey.stringKey("sluice.listener");
    private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("sluice.route");
    private static final AttributeKey<String> UPSTREAM = AttributeKey.stringKey("sluice.upstream");
    private static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("sluice.endpoint");
    private static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("sluice.attempts");
    private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("sluice.request_id");
    private static final AttributeKey<String> UPSTREAM_ERROR = AttributeKey.stringKey("sluice.upstream_error");

    private final TracingConfig config;
    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final Clock clock = Clock.getDefault();
    private final long sampleBound;
    private final int queueSize;
    /** Spans handed to the processor and not yet taken by an export: an upper bound on its queue. */
    private final AtomicLong pending = new AtomicLong();
    private final CounterDataPoint dropped;

    OtlpSpanExport(TracingConfig config, ObservedMetrics metrics) {
        this.config = config;
        this.queueSize = config.queueSize();
        this.sampleBound = TraceContext.sampleBound(config.sampleRatio());
        this.dropped = metrics.tracingSpans("dropped");
        SpanExporter otlp = OtlpHttpSpanExporter.builder()
                .setEndpoint(config.otlpEndpoint())
                .setTimeout(config.exportTimeout())
                .build();
        SpanExporter counting = new CountingExporter(otlp, pending, metrics.tracingSpans("exported"),
                metrics.tracingSpans("failed"));
        BatchSpanProcessor processor = BatchSpanProcessor.builder(counting)
                .setMaxQueueSize(queueSize)
                .setMaxExportBatchSize(Math.min(512, queueSize))
                .setScheduleDelay(1, TimeUnit.SECONDS)
                .setExporterTimeout(config.exportTimeout())
                .build();
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), config.serviceName())));
        this.provider = SdkTracerProvider.builder()
                .setResource(resource)
                .setIdGenerator(ProxyIds.INSTANCE)
                // the same decision TraceContext took for the flag it sent upstream
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
                .addSpanProcessor(processor)
                .build();
        this.tracer = provider.tracerBuilder("io.sluice").setInstrumentationVersion(BuildProperties.version()).build();
    }

    TracingConfig config() {
        return config;
    }

    /** The bound for {@link TraceContext#apply(HttpHeaders, Exchange, long)}: sample_ratio for new traces. */
    long sampleBound() {
        return sampleBound;
    }

    /**
     * Exports the span of {@code ex}, a forwarded request whose trace is sampled; its response finished
     * (or broke off) just now, {@code durationNanos} after it arrived. On the request's event loop.
     */
    void record(Exchange ex, String listener, long durationNanos) {
        if (pending.incrementAndGet() > queueSize) {
            pending.decrementAndGet();
            dropped.inc();
            return;
        }
        long end = clock.now();
        String method = ex.method().name();
        String route = ex.route();
        SpanBuilder b = tracer.spanBuilder(route.isEmpty() ? method : method + " route:" + route)
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(end - durationNanos, TimeUnit.NANOSECONDS);
        String traceId = ex.traceId().toString();
        CharSequence parent = ex.parentSpanId();
        HttpHeaders headers = ex.request().headers();
        if (parent.length() > 0) {
            b.setParent(Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(traceId, parent.toString(),
                    TraceFlags.getSampled(), traceState(headers.get(TraceContext.TRACESTATE))))));
        } else {
            b.setNoParent();
        }
        b.setAttribute(METHOD, method);
        b.setAttribute(PATH, ex.path());
        String scheme = headers.get(io.sluice.filter.ForwardedHeaders.X_FORWARDED_PROTO);
        if (scheme != null) {
            b.setAttribute(SCHEME, scheme);
        }
        String host = headers.get(io.sluice.filter.ForwardedHeaders.X_FORWARDED_HOST);
        if (host != null) {
            serverAddress(b, host);
        }
        b.setAttribute(CLIENT_ADDRESS, ex.clientIp());
        b.setAttribute(PEER_ADDRESS, ex.clientIp());
        b.setAttribute(PROTOCOL_VERSION, protocolVersion(ex));
        String agent = headers.get(HttpHeaderNames.USER_AGENT);
        if (agent != null) {
            b.setAttribute(USER_AGENT, agent);
        }
        b.setAttribute(LISTENER, listener);
        b.setAttribute(ROUTE, route);
        b.setAttribute(UPSTREAM, ex.upstream());
        b.setAttribute(ENDPOINT, ex.endpoint());
        b.setAttribute(ATTEMPTS, (long) ex.attempts());
        b.setAttribute(REQUEST_ID, ex.requestId().toString());
        String upstreamError = ex.upstreamError(); // the access log's upstream_error; set only when the upstream failed
        if (upstreamError != null) {
            b.setAttribute(UPSTREAM_ERROR, upstreamError);
        }
        int status = ex.status();
        if (status > 0) {
            b.setAttribute(STATUS, (long) status);
        }
        if (status >= 500) {
            b.setAttribute(ERROR_TYPE, Integer.toString(status));
        } else if (status == 0) {
            b.setAttribute(ERROR_TYPE, "client_closed"); // left before an answer: 499 in the access log
        }
        Span span;
        String[] next = ProxyIds.NEXT.get();
        next[0] = traceId;
        next[1] = ex.spanId().toString();
        try {
            span = b.startSpan();
        } finally {
            next[0] = null;
            next[1] = null;
        }
        if (!span.getSpanContext().isSampled()) {
            pending.decrementAndGet(); // never reaches the processor's queue
        } else if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end(end, TimeUnit.NANOSECONDS);
    }

    private static void serverAddress(SpanBuilder b, String host) {
        int colon = host.lastIndexOf(':');
        if (colon > 0 && host.indexOf(']') < colon && (host.charAt(0) == '[' || host.indexOf(':') == colon)) {
            b.setAttribute(SERVER_ADDRESS, host.substring(0, colon));
            try {
                b.setAttribute(SERVER_PORT, Long.parseLong(host.substring(colon + 1)));
            } catch (NumberFormatException e) {
                // not a port: leave it out
            }
        } else {
            b.setAttribute(SERVER_ADDRESS, host);
        }
    }

    private static String protocolVersion(Exchange ex) {
        int major = ex.clientVersion().majorVersion();
        return major >= 2 ? Integer.toString(major) : major + "." + ex.clientVersion().minorVersion();
    }

    /** The {@code tracestate} passed on, as the parent's; invalid members are left out. */
    static TraceState traceState(String header) {
        if (header == null || header.isBlank()) {
            return TraceState.getDefault();
        }
        TraceStateBuilder b = TraceState.builder();
        String[] members = header.split(",");
        // the first member is the most recent: put it last, as builders put new keys in front
        for (int i = members.length - 1; i >= 0; i--) {
            String m = members[i].trim();
            int eq = m.indexOf('=');
            if (eq > 0) {
                b.put(m.substring(0, eq), m.substring(eq + 1));
            }
        }
        return b.build();
    }

    /** Exports what is queued and stops the worker thread, waiting at most the export timeout. */
    @Override
    public void close() {
        provider.shutdown().join(config.exportTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    }

    /** The ids the proxy decided, handed to the SDK while a span is built on this thread. */
    static final class ProxyIds implements IdGenerator {
        static final ProxyIds INSTANCE = new ProxyIds();
        static final FastThreadLocal<String[]> NEXT = new FastThreadLocal<>() {
            @Override
            protected String[] initialValue() {
                return new String[2];
            }
        };

        @Override
        public String generateSpanId() {
            String id = NEXT.get()[1];
            return id != null ? id : IdGenerator.random().generateSpanId();
        }

        @Override
        public String generateTraceId() {
            String id = NEXT.get()[0];
            return id != null ? id : IdGenerator.random().generateTraceId();
        }
    }

    /** Counts spans as they leave the queue (exported or failed) and keeps {@code pending} in step. */
    private static final class CountingExporter implements SpanExporter {
        private final SpanExporter delegate;
        private final AtomicLong pending;
        private final CounterDataPoint exported;
        private final CounterDataPoint failed;

        CountingExporter(SpanExporter delegate, AtomicLong pending, CounterDataPoint exported, CounterDataPoint failed) {
            this.delegate = delegate;
            this.pending = pending;
            this.exported = exported;
            this.failed = failed;
        }

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            int n = spans.size();
            pending.addAndGet(-n);
            CompletableResultCode result = delegate.export(spans);
            result.whenComplete(() -> (result.isSuccess() ? exported : failed).inc(n));
            return result;
        }

        @Override
        public CompletableResultCode flush() {
            return delegate.flush();
        }

        @Override
        public CompletableResultCode shutdown() {
            return delegate.shutdown();
        }
    }
}
