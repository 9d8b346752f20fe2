package io.sluice.metrics;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmNativeMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The proxy's Prometheus metrics. One instance for the process, kept across reloads so counters
 * never go backwards.
 *
 * <ul>
 *   <li>{@code sluice_requests_total{upstream,endpoint,code}}: finished requests; the proxy's own
 *       answers carry {@code upstream=""} and {@code endpoint=""}.</li>
 *   <li>{@code sluice_request_duration_seconds{upstream}}: classic histogram, 0.5 ms to 10 s.</li>
 *   <li>{@code sluice_upstream_requests_in_flight{upstream,endpoint}} and
 *       {@code sluice_endpoint_healthy{upstream,endpoint}}: read at scrape time from the upstreams
 *       given to {@link #bindUpstreams}.</li>
 *   <li>{@code sluice_endpoint_effective_weight{upstream,endpoint}} (in units of the configured weight)
 *       and {@code sluice_endpoint_state_changes_total{upstream,endpoint,state}} (how often an endpoint entered
 *       a state), read at scrape time like the two above.</li>
 *   <li>The JVM metrics of {@link JvmMetrics}, once an admin server exports them (see {@link #exportJvmMetrics}).</li>
 *   <li>Beside those, the ones of {@link ObservedMetrics}: per route, per listener, upstream connections,
 *       retries, ejections, pools, Netty memory, the access log; docs/observability.md lists them all.</li>
 * </ul>
 *
 * <p>Thread-safe. {@link RequestMetrics#record} is called from every event loop and does not
 * allocate once warm: each status code's counter data point is looked up once and kept, and the
 * histogram's is kept per recorder. ("Warm" includes JIT compilation: the library's
 * {@code Histogram.DataPoint.observe} creates a capturing lambda per call, which C2 removes by escape
 * analysis; {@code ProxyMetricsTest} checks that.)
 */
public final class ProxyMetrics {

    /** Upper bounds in seconds: a proxy's answers range from sub-millisecond local replies to slow upstreams. */
    static final double[] DURATION_BUCKETS = {
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private static final int MIN_CACHED_STATUS = 100;
    private static final int MAX_CACHED_STATUS = 599;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requestsTotal;
    private final Histogram requestDuration;
    private final ConcurrentMap<List<String>, Recorder> recorders = new ConcurrentHashMap<>();
    private volatile Supplier<? extends Collection<? extends MeteredUpstream>> upstreams = List::of;
    private volatile Supplier<? extends Collection<CacheStats>> caches = List::of;
    private final ObservedMetrics observed;
    private final Gauge lastReloadSuccess;
    private volatile Supplier<? extends Collection<CertificateExpiry>> certificates = List::of;
    private Gauge buildInfo;
    private String[] buildInfoValues;
    private final Gauge lastReloadTimestamp;
    private boolean jvmMetricsExported;

    /** Registers the proxy's metrics in a registry of its own; the JVM metrics come with {@link #exportJvmMetrics}. */
    public ProxyMetrics() {
        // No exemplars: without a tracer they carry nothing, and sampling them costs on the hot path.
        requestsTotal = Counter.builder()
                .name("sluice_requests_total")
                .help("Requests answered, by upstream, endpoint and status code; the proxy's own answers have empty upstream and endpoint")
                .labelNames("upstream", "endpoint", "code")
                .withoutExemplars()
                .register(registry);
        requestDuration = Histogram.builder()
                .name("sluice_request_duration_seconds")
                .help("Time from receiving a request to finishing its response, by upstream")
                .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
                .labelNames("upstream")
                .classicOnly()
                .classicUpperBounds(DURATION_BUCKETS)
                .withoutExemplars()
                .register(registry);
        GaugeWithCallback.builder()
                .name("sluice_upstream_requests_in_flight")
                .help("Requests sent to an endpoint and not yet finished")
                .labelNames("upstream", "endpoint")
                .callback(callback -> forEachEndpoint(
                        (upstream, endpoint) -> callback.call(endpoint.inFlight(), upstream, endpoint.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("sluice_endpoint_healthy")
                .help("1 when the endpoint takes new requests, 0 when unhealthy or draining")
                .labelNames("upstream", "endpoint")
                .callback(callback -> forEachEndpoint(
                        (upstream, endpoint) -> callback.call(endpoint.inService() ? 1 : 0, upstream, endpoint.address())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("sluice_endpoint_effective_weight")
                .help("The weight the weighted balancers use now: the configured one, lowered after failures and during slow start")
                .labelNames("upstream", "endpoint")
                .callback(callback -> forEachEndpoint((upstream, endpoint) -> callback.call(
                        endpoint.effectiveWeight() / (double) Endpoint.WEIGHT_SCALE, upstream, endpoint.address())))
                .register(registry);
        CounterWithCallback.builder()
                .name("sluice_endpoint_state_changes_total")
                .help("Times an endpoint entered a state (healthy, unhealthy, draining)")
                .labelNames("upstream", "endpoint", "state")
                .callback(callback -> forEachEndpoint((upstream, endpoint) -> {
                    for (EndpointState state : EndpointState.values()) {
                        callback.call(endpoint.stateChanges(state), upstream, endpoint.address(), state.label());
                    }
                }))
                .register(registry);
        lastReloadSuccess = Gauge.builder()
                .name("sluice_config_last_reload_success")
                .help("1 when the last configuration load (the start or a reload) succeeded, 0 when it was refused")
                .withoutExemplars()
                .register(registry);
        lastReloadTimestamp = Gauge.builder()
                .name("sluice_config_last_reload_timestamp_seconds")
                .help("When the configuration was last loaded or a reload was attempted (Unix time)")
                .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
                .withoutExemplars()
                .register(registry);
        CounterWithCallback.builder()
                .name("sluice_health_checks_total")
                .help("Active health checks by result (passed, failed); only upstreams with a health_check")
                .labelNames("upstream", "endpoint", "result")
                .callback(callback -> {
                    Set<List<String>> seen = new HashSet<>();
                    Collection<? extends MeteredUpstream> current = upstreams.get();
                    for (MeteredUpstream upstream : current == null ? List.<MeteredUpstream>of() : current) {
                        if (!upstream.healthChecked()) {
                            continue;
                        }
                        for (Endpoint e : upstream.endpoints()) {
                            if (seen.add(List.of(upstream.name(), e.address()))) {
                                callback.call(e.healthChecks(true), upstream.name(), e.address(), "passed");
                                callback.call(e.healthChecks(false), upstream.name(), e.address(), "failed");
                            }
                        }
                    }
                })
                .register(registry);
        GaugeWithCallback.builder()
                .name("sluice_tls_certificate_expiry_seconds")
                .help("Seconds until a served certificate expires (negative: expired), by listener, source file (or acme) and subject")
                .labelNames("listener", "certificate", "subject")
                .callback(callback -> {
                    long now = System.currentTimeMillis();
                    Set<List<String>> seen = new HashSet<>();
                    for (CertificateExpiry c : certificates.get()) {
                        if (seen.add(List.of(c.listener(), c.certificate(), c.subject()))) {
                            callback.call((c.notAfterMillis() - now) / 1000.0, c.listener(), c.certificate(), c.subject());
                        }
                    }
                })
                .register(registry);
        registerCircuitMetrics();
        registerMirrorMetrics();
        registerCacheMetrics();
        observed = new ObservedMetrics(registry, this);
    }

    /** Upstream circuit breakers, read at scrape time; upstreams without one export nothing. */
    private void registerCircuitMetrics() {
        GaugeWithCallback.builder()
                .name("sluice_upstream_circuit_state")
                .help("1 for the state the upstream's circuit breaker is in (closed, open, half_open), 0 for the others")
                .labelNames("upstream", "state")
                .callback(callback -> forEachBreaker((upstream, breaker) -> {
                    String now = breaker.stateLabel();
                    for (String state : breaker.stateLabels()) {
                        callback.call(state.equals(now) ? 1 : 0, upstream, state);
                    }
                }))
                .register(registry);
        CounterWithCallback.builder()
                .name("sluice_upstream_circuit_opened_total")
                .help("Times the upstream's circuit breaker opened")
                .labelNames("upstream")
                .callback(callback -> forEachBreaker((upstream, breaker) -> callback.call(breaker.opened(), upstream)))
                .register(registry);
        CounterWithCallback.builder()
                .name("sluice_upstream_circuit_refused_total")
                .help("Requests answered 503 by the upstream's open (or half-open) circuit breaker, sent nowhere")
                .labelNames("upstream")
                .callback(callback -> forEachBreaker((upstream, breaker) -> callback.call(breaker.refused(), upstream)))
                .register(registry);
    }

    private void registerMirrorMetrics() {
        CounterWithCallback.builder()
                .name("sluice_mirror_requests_total")
                .help("Copies of requests mirrored to an upstream, by result: answered, failed (no answer), "
                        + "dropped_busy (max_in_flight reached), dropped_body (over max_body), cancelled (the client's request ended first)")
                .labelNames("upstream", "result")
                .callback(callback -> {
                    for (MeteredUpstream upstream : upstreams.get()) {
                        MirrorStats m = upstream.mirrorStats();
                        long total = m.answered.sum() + m.failed.sum() + m.droppedBusy.sum() + m.droppedBody.sum()
                                + m.cancelled.sum();
                        if (total == 0) {
                            continue; // upstreams nobody mirrors to export nothing
                        }
                        callback.call(m.answered.sum(), upstream.name(), "answered");
                        callback.call(m.failed.sum(), upstream.name(), "failed");
                        callback.call(m.droppedBusy.sum(), upstream.name(), "dropped_busy");
                        callback.call(m.droppedBody.sum(), upstream.name(), "dropped_body");
                        callback.call(m.cancelled.sum(), upstream.name(), "cancelled");
                    }
                })
                .register(registry);
    }

    /** The {@code cache} filters, read at scrape time; a proxy without one exports nothing. */
    private void registerCacheMetrics() {
        CounterWithCallback.builder()
                .name("sluice_cache_requests_total")
                .help("Requests through a cache filter, by result: hit, miss, stale (went upstream for a new response),"
                        + " revalidated (a stale response the upstream confirmed with 304), request (the request's"
                        + " Cache-Control refused a stored response), method (not GET or HEAD)")
                .labelNames("listener", "route", "result")
                .callback(callback -> {
                    for (CacheStats c : caches.get()) {
                        callback.call(c.hit.sum(), c.listener(), c.route(), "hit");
                        callback.call(c.miss.sum(), c.listener(), c.route(), "miss");
                        callback.call(c.stale.sum(), c.listener(), c.route(), "stale");
                        callback.call(c.revalidated.sum(), c.listener(), c.route(), "revalidated");
                        callback.call(c.request.sum(), c.listener(), c.route(), "request");
                        callback.call(c.method.sum(), c.listener(), c.route(), "method");
                    }
                })
                .register(registry);
        GaugeWithCallback.builder()
                .name("sluice_cache_memory_bytes")
                .help("What a cache filter's memory level holds, in bytes as it weighs responses (at most its 'memory')")
                .labelNames("listener", "route")
                .callback(callback -> {
                    for (CacheStats c : caches.get()) {
                        if (c.memory() != null) {
                            callback.call(c.memory().bytes(), c.listener(), c.route());
                        }
                    }
                })
                .register(registry);
        GaugeWithCallback.builder()
                .name("sluice_cache_memory_entries")
                .help("Responses (and lists of Vary names) in a cache filter's memory level")
                .labelNames("listener", "route")
                .callback(callback -> {
                    for (CacheStats c : caches.get()) {
                        if (c.memory() != null) {
                            callback.call(c.memory().entries(), c.listener(), c.route());
                        }
                    }
                })
                .register(registry);
    }

    /** Where the cache metrics find the cache filters in force (read at scrape time). */
    public void bindCaches(Supplier<? extends Collection<CacheStats>> caches) {
        this.caches = Objects.requireNonNull(caches, "caches");
    }

    private void forEachBreaker(java.util.function.BiConsumer<String, MeteredBreaker> visitor) {
        for (MeteredUpstream upstream : upstreams.get()) {
            if (upstream.breaker() != null) {
                visitor.accept(upstream.name(), upstream.breaker());
            }
        }
    }

    /**
     * Adds the JVM metrics to the registry; the admin server calls it, since only its {@code /metrics} reads
     * them. Without an admin address the proxy never loads them: they are about 300 classes (the JMX beans,
     * the library's JVM instrumentation) and 2 MiB of a proxy's idle RSS (docs/benchmarks.md). Idempotent.
     */
    public synchronized void exportJvmMetrics() {
        if (!jvmMetricsExported) {
            registerJvmMetrics(registry);
            jvmMetricsExported = true;
        }
    }

    /**
     * What {@code JvmMetrics.builder().register(registry)} registers, except that the native memory metrics
     * are asked for only when native memory tracking is on. Without it they export nothing, but finding that
     * out goes through the platform MBean server and the diagnostic command bean, which loads some 120 JMX
     * and diagnostic-command classes (about 0.7 MiB of metaspace and heap) into every proxy.
     */
    private static void registerJvmMetrics(PrometheusRegistry registry) {
        PrometheusProperties config = PrometheusProperties.get();
        JvmThreadsMetrics.builder(config).register(registry);
        JvmBufferPoolMetrics.builder(config).register(registry);
        JvmClassLoadingMetrics.builder(config).register(registry);
        JvmCompilationMetrics.builder(config).register(registry);
        JvmGarbageCollectorMetrics.builder(config).register(registry);
        JvmMemoryPoolAllocationMetrics.builder(config).register(registry);
        JvmMemoryMetrics.builder(config).register(registry);
        if (nativeMemoryTracking()) {
            JvmNativeMemoryMetrics.builder(config).register(registry);
        }
        JvmRuntimeInfoMetric.builder(config).register(registry);
        ProcessMetrics.builder(config).register(registry);
    }

    /** Whether the JVM runs with {@code -XX:NativeMemoryTracking=summary} or {@code detail}. */
    static boolean nativeMemoryTracking() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotspot != null && !"off".equals(hotspot.getVMOption("NativeMemoryTracking").getValue());
        } catch (RuntimeException e) { // not HotSpot: let the library find out
            return true;
        }
    }

    /** The metrics beside the contract's: routes, listeners, connections, retries, memory, access log. */
    public ObservedMetrics observed() {
        return observed;
    }

    /** The last minute of an endpoint, for the status page; never null (empty for an unknown pair). */
    public EndpointStats stats(String upstream, String endpoint) {
        return ((Recorder) requests(upstream, endpoint)).stats;
    }

    /** Counts one retry of a request to {@code upstream}. Any thread. */
    public void retry(String upstream) {
        observed.retries(upstream).inc();
    }

    /** Counts passive health taking {@code endpoint} out of service. Any thread. */
    public void passiveEjection(String upstream, String endpoint) {
        observed.passiveEjection(upstream, endpoint);
    }

    /** Counts one retry of {@code upstream} per run; callers keep it. Any thread. */
    public Runnable retries(String upstream) {
        CounterDataPoint point = observed.retries(Objects.requireNonNull(upstream, "upstream"));
        return point::inc;
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /**
     * Makes the per-endpoint gauges read {@code upstreams} at every scrape. Call once at startup with a
     * supplier of the configuration in force; a reload then needs no call.
     */
    public void bindUpstreams(Supplier<? extends Collection<? extends MeteredUpstream>> upstreams) {
        this.upstreams = Objects.requireNonNull(upstreams, "upstreams");
    }

    /** One certificate a listener serves, for {@code sluice_tls_certificate_expiry_seconds}. */
    public record CertificateExpiry(String listener, String certificate, String subject, long notAfterMillis) {
    }

    /** Where the expiry gauge finds the certificates served now (read at scrape time). */
    public void bindCertificates(Supplier<? extends Collection<CertificateExpiry>> certificates) {
        this.certificates = Objects.requireNonNull(certificates, "certificates");
    }

    /**
     * {@code sluice_build_info{version, commit, java, netty, transport, tls} 1}: what is running, for
     * dashboards and for joining with other series ({@code * on() group_left(version) sluice_build_info}).
     * Set at start and again after each load of the configuration (the {@code tls} label is known only once
     * some TLS is configured); a changed label replaces the series.
     */
    public synchronized void buildInfo(java.util.Map<String, String> labels) {
        String[] values = labels.values().toArray(new String[0]);
        if (buildInfo == null) {
            buildInfo = Gauge.builder()
                    .name("sluice_build_info")
                    .help("Always 1; the labels say which build runs on what")
                    .labelNames(labels.keySet().toArray(new String[0]))
                    .withoutExemplars()
                    .register(registry);
        } else if (java.util.Arrays.equals(values, buildInfoValues)) {
            return;
        } else {
            buildInfo.remove(buildInfoValues); // a label changed (tls, once TLS is configured): one series stays
        }
        buildInfoValues = values;
        buildInfo.labelValues(values).set(1);
    }

    /** Records a configuration load: the start (success) or a reload attempt. Control thread. */
    public void reloaded(boolean success, long epochMillis) {
        lastReloadSuccess.set(success ? 1 : 0);
        lastReloadTimestamp.set(epochMillis / 1000.0);
    }

    /**
     * The recorder for requests answered through {@code endpoint} of {@code upstream}; both are ""
     * for the proxy's own answers. Callers keep it: looking it up is not for every request. The same
     * pair always gives the same recorder, so one looked up again after a reload continues the series.
     */
    public RequestMetrics requests(String upstream, String endpoint) {
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(endpoint, "endpoint");
        return recorders.computeIfAbsent(List.of(upstream, endpoint), key -> new Recorder(upstream, endpoint));
    }

    /**
     * Records what happens to requests sent to one endpoint. Implementations do not allocate per call
     * once warm. The default methods do nothing (for recorders made in tests).
     */
    @FunctionalInterface
    public interface RequestMetrics {
        /** A response finished (or broke after it started). */
        void record(int status, long durationNanos);

        /** An attempt ended without a response head: refused, reset, malformed, timed out. */
        default void attemptFailed() {
        }

        /** A request is tried again (on another endpoint where there is one). */
        default void retried() {
        }

        /** A pooled connection was reused for an attempt. */
        default void connectionReused() {
        }

        /** A new connection is up after {@code nanos}; {@link #connectionClosed()} follows once. */
        default void connected(long nanos) {
        }

        default void connectFailed() {
        }

        default void connectionClosed() {
        }
    }

    interface EndpointVisitor {
        void visit(String upstream, Endpoint endpoint);
    }

    interface PoolVisitor {
        void visit(String upstream, Endpoint endpoint, int idle);
    }

    /** At scrape time: the idle pooled connections of every endpoint. */
    void forEachPool(PoolVisitor visitor) {
        forEachEndpoint((name, endpoint) -> {
            Collection<? extends MeteredUpstream> current = upstreams.get();
            for (MeteredUpstream upstream : current) {
                if (upstream.name().equals(name)) {
                    visitor.visit(name, endpoint, upstream.idleConnections(endpoint));
                    return;
                }
            }
            visitor.visit(name, endpoint, 0);
        });
    }

    /**
     * Runs at scrape time. A label pair seen twice (an address listed twice in one upstream) is reported
     * once: a snapshot with duplicate labels would fail the whole scrape.
     */
    void forEachEndpoint(EndpointVisitor visitor) {
        Collection<? extends MeteredUpstream> current = upstreams.get();
        if (current == null) {
            return;
        }
        Set<List<String>> seen = new HashSet<>();
        for (MeteredUpstream upstream : current) {
            for (Endpoint endpoint : upstream.endpoints()) {
                if (seen.add(List.of(upstream.name(), endpoint.address()))) {
                    visitor.visit(upstream.name(), endpoint);
                }
            }
        }
    }

    /**
     * The data points of one (upstream, endpoint) pair, looked up from the registry once and kept. The
     * proxy's own answers (endpoint "") have no connection or endpoint series, and their duration series
     * appears with the first answer: no always-zero series with empty labels.
     */
    private final class Recorder implements RequestMetrics {
        private final String upstream;
        private final String endpoint;
        /** Null until the first answer for a proxy's-own-answers recorder; a race creates the same point twice. */
        private volatile DistributionDataPoint duration;
        private final DistributionDataPoint endpointDuration;
        private final EndpointStats stats = new EndpointStats(System::nanoTime);
        private final CounterDataPoint retries;
        private final CounterDataPoint reuses;
        private final CounterDataPoint connects;
        private final CounterDataPoint connectFailures;
        private final GaugeDataPoint open;
        private final DistributionDataPoint connectDuration;
        /** Index status - 100; filled lazily. A race fills a slot twice with the same data point. */
        private final AtomicReferenceArray<CounterDataPoint> byStatus =
                new AtomicReferenceArray<>(MAX_CACHED_STATUS - MIN_CACHED_STATUS + 1);

        Recorder(String upstream, String endpoint) {
            this.upstream = upstream;
            this.endpoint = endpoint;
            if (endpoint.isEmpty()) {
                this.endpointDuration = null;
                this.retries = null;
                this.reuses = null;
                this.connects = null;
                this.connectFailures = null;
                this.open = null;
                this.connectDuration = null;
                return;
            }
            this.duration = requestDuration.labelValues(upstream);
            this.endpointDuration = observed.endpointDuration.labelValues(upstream, endpoint);
            this.retries = observed.retries(upstream);
            this.reuses = observed.poolReuses.labelValues(upstream, endpoint);
            this.connects = observed.upstreamConnects.labelValues(upstream, endpoint);
            this.connectFailures = observed.upstreamConnectFailures.labelValues(upstream, endpoint);
            this.open = observed.upstreamOpen.labelValues(upstream, endpoint);
            this.connectDuration = observed.connectDuration.labelValues(upstream);
        }

        /** Any thread. */
        @Override
        public void record(int status, long durationNanos) {
            counter(status).inc();
            double seconds = Math.max(0L, durationNanos) / 1e9;
            DistributionDataPoint d = duration;
            if (d == null) {
                d = requestDuration.labelValues(upstream);
                duration = d;
            }
            d.observe(seconds);
            if (endpointDuration != null) {
                endpointDuration.observe(seconds);
            }
            stats.record(status, durationNanos);
        }

        @Override
        public void attemptFailed() {
            stats.failure();
        }

        @Override
        public void retried() {
            if (retries == null) {
                return;
            }
            retries.inc();
        }

        @Override
        public void connectionReused() {
            if (reuses == null) {
                return;
            }
            reuses.inc();
        }

        @Override
        public void connected(long nanos) {
            if (connects == null) {
                return;
            }
            connects.inc();
            open.inc();
            connectDuration.observe(Math.max(0L, nanos) / 1e9);
        }

        @Override
        public void connectFailed() {
            if (connects == null) {
                return;
            }
            connects.inc();
            connectFailures.inc();
        }

        @Override
        public void connectionClosed() {
            if (open == null) {
                return;
            }
            open.dec();
        }

        private CounterDataPoint counter(int status) {
            if (status < MIN_CACHED_STATUS || status > MAX_CACHED_STATUS) {
                return requestsTotal.labelValues(upstream, endpoint, Integer.toString(status)); // not HTTP; rare
            }
            int slot = status - MIN_CACHED_STATUS;
            CounterDataPoint point = byStatus.get(slot);
            if (point == null) {
                point = requestsTotal.labelValues(upstream, endpoint, Integer.toString(status));
                byStatus.set(slot, point);
            }
            return point;
        }
    }
}
