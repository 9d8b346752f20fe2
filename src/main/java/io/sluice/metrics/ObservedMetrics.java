package io.sluice.metrics;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The metrics beside the contract's two, registered in {@link ProxyMetrics}'s registry. Labels are
 * bounded by the configuration (listener, route, upstream, endpoint names, a status class, an endpoint
 * state); nothing is labelled by path or client.
 *
 * <p>Thread-safe. Every recorder handed out here keeps its data points, so the hot path does no label
 * lookup and no allocation once warm.
 */
public final class ObservedMetrics {
    /** Index = status / 100 (1xx..5xx); 0 for anything else (e.g. a client that left before an answer). */
    static final String[] CODE_CLASSES = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

    final Counter routeRequests;
    final Histogram routeDuration;
    final Counter receivedBytes;
    final Counter sentBytes;
    final Histogram endpointDuration;
    final Gauge downstreamOpen;
    final Gauge downstreamParked;
    final Counter downstreamTotal;
    final Gauge upstreamOpen;
    final Counter upstreamConnects;
    final Counter upstreamConnectFailures;
    final Histogram connectDuration;
    final Counter poolReuses;
    final Counter retries;
    final Counter passiveEjections;
    final Counter accessLogLines;
    final Counter accessLogDropped;
    final Counter accessLogLost;
    final Counter tracingSpans;
    final Counter clientTimeouts;
    private final ConcurrentMap<List<String>, RouteMetrics> routes = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ListenerMetrics> listeners = new ConcurrentHashMap<>();
    private volatile MeteredBudget bufferBudget;

    ObservedMetrics(PrometheusRegistry registry, ProxyMetrics endpoints) {
        routeRequests = Counter.builder().name("sluice_route_requests_total")
                .help("Requests answered, by listener, route and status class (route \"\" when none matched)")
                .labelNames("listener", "route", "code_class").withoutExemplars().register(registry);
        routeDuration = Histogram.builder().name("sluice_route_request_duration_seconds")
                .help("Time from receiving a request to finishing its response, by listener and route")
                .unit(Unit.SECONDS).labelNames("listener", "route").classicOnly()
                .classicUpperBounds(ProxyMetrics.DURATION_BUCKETS).withoutExemplars().register(registry);
        receivedBytes = Counter.builder().name("sluice_received_bytes_total")
                .help("Bytes read from clients (request heads and bodies, as on the wire), by listener and route")
                .labelNames("listener", "route").withoutExemplars().register(registry);
        sentBytes = Counter.builder().name("sluice_sent_bytes_total")
                .help("Bytes written to clients (response heads and bodies, as on the wire), by listener and route")
                .labelNames("listener", "route").withoutExemplars().register(registry);
        endpointDuration = Histogram.builder().name("sluice_endpoint_request_duration_seconds")
                .help("Time from receiving a request to finishing its response, by upstream and endpoint")
                .unit(Unit.SECONDS).labelNames("upstream", "endpoint").classicOnly()
                .classicUpperBounds(ProxyMetrics.DURATION_BUCKETS).withoutExemplars().register(registry);
        downstreamOpen = Gauge.builder().name("sluice_downstream_connections_open")
                .help("Client connections open, by listener").labelNames("listener").withoutExemplars()
                .register(registry);
        downstreamParked = Gauge.builder().name("sluice_downstream_connections_parked")
                .help("Idle HTTP/1.1 client connections parked (their codec and handler given up until their next"
                        + " bytes come), by listener").labelNames("listener").withoutExemplars().register(registry);
        downstreamTotal = Counter.builder().name("sluice_downstream_connections_total")
                .help("Client connections accepted, by listener").labelNames("listener").withoutExemplars()
                .register(registry);
        clientTimeouts = Counter.builder().name("sluice_client_timeouts_total")
                .help("Client connections (or h2 streams) closed by server.client_timeouts, by listener and timeout"
                        + " (idle, request_head, request_body, send)")
                .labelNames("listener", "timeout").withoutExemplars().register(registry);
        upstreamOpen = Gauge.builder().name("sluice_upstream_connections_open")
                .help("Connections to an endpoint open (busy or pooled)").labelNames("upstream", "endpoint")
                .withoutExemplars().register(registry);
        upstreamConnects = Counter.builder().name("sluice_upstream_connects_total")
                .help("Connections to an endpoint attempted").labelNames("upstream", "endpoint")
                .withoutExemplars().register(registry);
        upstreamConnectFailures = Counter.builder().name("sluice_upstream_connect_failures_total")
                .help("Connections to an endpoint that failed (refused, unreachable, timed out)")
                .labelNames("upstream", "endpoint").withoutExemplars().register(registry);
        connectDuration = Histogram.builder().name("sluice_upstream_connect_duration_seconds")
                .help("Time to open a new upstream connection: what a request waits when the pool has none")
                .unit(Unit.SECONDS).labelNames("upstream").classicOnly()
                .classicUpperBounds(ProxyMetrics.DURATION_BUCKETS).withoutExemplars().register(registry);
        poolReuses = Counter.builder().name("sluice_upstream_pool_reuses_total")
                .help("Attempts that took an idle pooled connection instead of opening one")
                .labelNames("upstream", "endpoint").withoutExemplars().register(registry);
        retries = Counter.builder().name("sluice_upstream_retries_total")
                .help("Requests tried again after a failed attempt or a retryable status, by upstream")
                .labelNames("upstream").withoutExemplars().register(registry);
        passiveEjections = Counter.builder().name("sluice_upstream_passive_ejections_total")
                .help("Times passive health took an endpoint out of service").labelNames("upstream", "endpoint")
                .withoutExemplars().register(registry);
        accessLogLines = Counter.builder().name("sluice_access_log_lines_total")
                .help("Access log lines queued for writing").withoutExemplars().register(registry);
        accessLogDropped = Counter.builder().name("sluice_access_log_dropped_total")
                .help("Access log lines dropped because the writer's queue was full (a slow disk or pipe)")
                .withoutExemplars().register(registry);
        accessLogLost = Counter.builder().name("sluice_access_log_lost_total")
                .help("Access log lines queued but lost because writing them failed (a full disk, an I/O error)")
                .withoutExemplars().register(registry);
        tracingSpans = Counter.builder().name("sluice_tracing_spans_total")
                .help("Spans for OTLP export, by result: exported (sent and accepted), failed (the export failed"
                        + " or timed out), dropped (the export queue was full)")
                .labelNames("result").withoutExemplars().register(registry);
        GaugeWithCallback.builder().name("sluice_endpoint_weight")
                .help("The configured weight of an endpoint (or the one set through the admin API)")
                .labelNames("upstream", "endpoint")
                .callback(cb -> endpoints.forEachEndpoint((u, e) -> cb.call(e.weight(), u, e.address())))
                .register(registry);
        GaugeWithCallback.builder().name("sluice_upstream_pool_idle_connections")
                .help("Idle keep-alive connections to an endpoint, over all event loops")
                .labelNames("upstream", "endpoint")
                .callback(cb -> endpoints.forEachPool((u, e, idle) -> cb.call(idle, u, e.address())))
                .register(registry);
        GaugeWithCallback.builder().name("sluice_netty_allocator_used_bytes")
                .help("Memory held by Netty's default buffer allocator, by type (direct, heap)")
                .labelNames("type")
                .callback(cb -> {
                    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
                        ByteBufAllocatorMetric metric = provider.metric();
                        cb.call(metric.usedDirectMemory(), "direct");
                        cb.call(metric.usedHeapMemory(), "heap");
                    }
                })
                .register(registry);
        GaugeWithCallback.builder().name("sluice_netty_direct_memory_used_bytes")
                .help("Direct memory Netty has reserved in all (-1 when Netty does not count it)")
                .callback(cb -> cb.call(PlatformDependent.usedDirectMemory()))
                .register(registry);
        GaugeWithCallback.builder().name("sluice_buffer_budget_bytes")
                .help("server.buffer_budget: the direct memory Netty may hold before upstream reads wait for"
                        + " clients to take what they were sent")
                .callback(cb -> {
                    MeteredBudget b = bufferBudget;
                    if (b != null) {
                        cb.call(b.limit());
                    }
                })
                .register(registry);
        CounterWithCallback.builder().name("sluice_buffer_budget_waits_total")
                .help("Times a response's upstream reads began to wait for its client because direct memory was"
                        + " over server.buffer_budget")
                .callback(cb -> {
                    MeteredBudget b = bufferBudget;
                    if (b != null) {
                        cb.call(b.waits());
                    }
                })
                .register(registry);
    }

    /** The recorder of one route of one listener (route "" for requests no route matched). */
    public RouteMetrics route(String listener, String route) {
        RouteMetrics m = routes.get(List.of(listener, route));
        return m != null ? m : routes.computeIfAbsent(List.of(listener, route), k -> new RouteMetrics(this, listener, route));
    }

    /** The budget the buffer gauges read (set at start). */
    public void bindBufferBudget(MeteredBudget budget) {
        this.bufferBudget = budget;
    }

    public ListenerMetrics listener(String name) {
        return listeners.computeIfAbsent(name, n -> new ListenerMetrics(downstreamOpen.labelValues(n),
                downstreamParked.labelValues(n), downstreamTotal.labelValues(n), clientTimeouts, n));
    }

    CounterDataPoint retries(String upstream) {
        return retries.labelValues(upstream);
    }

    void passiveEjection(String upstream, String endpoint) {
        passiveEjections.labelValues(upstream, endpoint).inc();
    }

    /** For the access log: one line queued, or dropped. */
    public void accessLogLine(boolean queued) {
        (queued ? accessLogLines : accessLogDropped).inc();
    }

    /** For the access log's writer: {@code lines} queued lines whose write failed. */
    public void accessLogLost(int lines) {
        accessLogLost.inc(lines);
    }

    /** For OTLP export: the counter of spans with {@code result} exported, failed or dropped. */
    public CounterDataPoint tracingSpans(String result) {
        return tracingSpans.labelValues(result);
    }

    public long accessLogDropped() {
        return (long) accessLogDropped.get();
    }

    /** Client connections of one listener. */
    public record ListenerMetrics(GaugeDataPoint open, GaugeDataPoint parkedNow, CounterDataPoint total, Counter timeouts,
                                  String listener) {
        /** A client timeout ran out: {@code timeout} is its key in server.client_timeouts. Rare: looked up each time. */
        public void timedOut(String timeout) {
            timeouts.labelValues(listener, timeout).inc();
        }

        public void opened() {
            open.inc();
            total.inc();
        }

        public void closed() {
            open.dec();
        }

        /** An idle connection was parked; {@link #woken()} follows once (its next bytes, or its close). */
        public void parked() {
            parkedNow.inc();
        }

        public void woken() {
            parkedNow.dec();
        }
    }

    /** The data points of one route, looked up once. Any thread; no allocation once warm. */
    public static final class RouteMetrics {
        private final CounterDataPoint[] byClass = new CounterDataPoint[CODE_CLASSES.length];
        private final DistributionDataPoint duration;
        private final CounterDataPoint received;
        private final CounterDataPoint sent;

        RouteMetrics(ObservedMetrics m, String listener, String route) {
            for (int i = 0; i < byClass.length; i++) {
                byClass[i] = m.routeRequests.labelValues(listener, route, CODE_CLASSES[i]);
            }
            duration = m.routeDuration.labelValues(listener, route);
            received = m.receivedBytes.labelValues(listener, route);
            sent = m.sentBytes.labelValues(listener, route);
        }

        public void record(int status, long durationNanos, long bytesIn, long bytesOut) {
            int cls = status >= 100 && status < 600 ? status / 100 : 0;
            byClass[cls].inc();
            duration.observe(Math.max(0L, durationNanos) / 1e9);
            if (bytesIn > 0) {
                received.inc(bytesIn);
            }
            if (bytesOut > 0) {
                sent.inc(bytesOut);
            }
        }
    }
}
