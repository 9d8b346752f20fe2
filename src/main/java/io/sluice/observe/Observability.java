package io.sluice.observe;

import io.sluice.config.AccessLogConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.TracingConfig;
import io.sluice.metrics.ProxyMetrics;
import java.io.IOException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the process observes besides the Prometheus counters: the access log (swapped when a reload
 * changes {@code access_log:}) and whether trace context is propagated. One per process; event loops
 * read its volatile fields, the control thread {@link #configure}s it.
 */
public final class Observability implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Observability.class);

    private final ProxyMetrics metrics;
    private final long startMillis = System.currentTimeMillis();
    private volatile AccessLog accessLog;
    private AccessLogConfig accessLogConfig;
    private volatile boolean tracing = true;
    private volatile OtlpSpanExport spans;

    public Observability(ProxyMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Applies {@code config}'s access_log and tracing; a new access log replaces the old one. Control thread. */
    public synchronized void configure(SluiceConfig config) throws IOException {
        commit(prepare(config));
    }

    /**
     * The first half of a reload: opens the access log {@code config} needs, if it is a new one, and
     * changes nothing in force, so a reload refused later leaves tracing and the log as they were.
     * Hand the result to {@link #commit} once the reload is in force, or to {@link #abandon}.
     */
    public synchronized Prepared prepare(SluiceConfig config) throws IOException {
        AccessLogConfig next = config.accessLog() != null && config.accessLog().enabled() ? config.accessLog() : null;
        if (Objects.equals(next, accessLogConfig)) {
            return new Prepared(config, false, null, null);
        }
        return new Prepared(config, true, next, next == null ? null : AccessLog.open(next, metrics.observed()));
    }

    /** Puts {@code p} in force: tracing, the span export and (if it changed) the access log. */
    public synchronized void commit(Prepared p) {
        tracing = p.config.tracing().enabled();
        configureExport(p.config.tracing());
        if (!p.logChanged) {
            return;
        }
        AccessLog old = accessLog;
        accessLog = p.log;
        accessLogConfig = p.logConfig;
        if (old != null) {
            old.close();
        }
        if (p.log != null) {
            log.info("access log: {} to {}", p.logConfig.format().name().toLowerCase(java.util.Locale.ROOT),
                    p.logConfig.file() == null ? "stdout" : p.logConfig.file());
        }
    }

    /** Drops {@code p} after a refused reload: closes the access log it opened, if any. */
    public synchronized void abandon(Prepared p) {
        if (p != null && p.log != null) {
            p.log.close();
        }
    }

    /** A configuration's observability, made ready by {@link #prepare}, not yet in force. */
    public static final class Prepared {
        private final SluiceConfig config;
        private final boolean logChanged;
        private final AccessLogConfig logConfig;
        private final AccessLog log;

        private Prepared(SluiceConfig config, boolean logChanged, AccessLogConfig logConfig, AccessLog log) {
            this.config = config;
            this.logChanged = logChanged;
            this.logConfig = logConfig;
            this.log = log;
        }
    }

    /**
     * Reopens the access log file by its name (after logrotate renamed it, SIGUSR1 or a reload): lines
     * queued until then go to the old file, the next ones to the new. Nothing to do for stdout.
     */
    public synchronized void reopen() {
        AccessLog current = accessLog;
        if (current != null) {
            current.reopen();
        }
    }

    /**
     * OTLP export: started when {@code tracing} exports and no export of the same settings runs; the old
     * one (if any) flushes and stops. With export off nothing of the OpenTelemetry SDK is loaded.
     */
    private void configureExport(TracingConfig tracing) {
        OtlpSpanExport old = spans;
        if (old != null && old.config().equals(tracing)) {
            return;
        }
        spans = tracing.exporting() ? new OtlpSpanExport(tracing, metrics.observed()) : null;
        if (old != null) {
            old.close();
        }
        if (spans != null) {
            log.info("tracing: exporting spans to {} (OTLP/HTTP, service.name {}, sample_ratio {})",
                    tracing.otlpEndpoint(), tracing.serviceName(), tracing.sampleRatio());
        }
    }

    /** The observer of one listener's requests. */
    public RequestObserver observer(String listener) {
        return new RequestObserver(listener, this, metrics.observed());
    }

    AccessLog accessLog() {
        return accessLog;
    }

    boolean tracing() {
        return tracing;
    }

    /** The span export, or null when {@code tracing.otlp_endpoint} is not set. */
    OtlpSpanExport spans() {
        return spans;
    }

    /** Whether spans are exported (OTLP) now. */
    public boolean exportingSpans() {
        return spans != null;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** When this process started ({@link System#currentTimeMillis()}), for uptime. */
    public long startMillis() {
        return startMillis;
    }

    @Override
    public synchronized void close() {
        OtlpSpanExport export = spans;
        spans = null;
        if (export != null) {
            export.close();
        }
        AccessLog old = accessLog;
        accessLog = null;
        accessLogConfig = null;
        if (old != null) {
            old.close();
        }
    }
}
