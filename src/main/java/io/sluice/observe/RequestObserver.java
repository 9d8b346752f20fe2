package io.sluice.observe;

import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.exchange.Exchange;
import io.sluice.metrics.ObservedMetrics;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The observer of one listener's requests: starts their trace context and, once each request is
 * finished (or broken off), counts it per route, writes its access log line and, when spans are
 * exported, hands its span to the exporter. Called on the event
 * loops of the listener's connections; no lock, and no allocation but the log line once warm.
 */
public final class RequestObserver {
    private final String listener;
    private final Observability hub;
    private final ObservedMetrics metrics;
    private final ObservedMetrics.ListenerMetrics connections;
    private final ConcurrentHashMap<String, ObservedMetrics.RouteMetrics> routes = new ConcurrentHashMap<>();

    RequestObserver(String listener, Observability hub, ObservedMetrics metrics) {
        this.listener = listener;
        this.hub = hub;
        this.metrics = metrics;
        this.connections = metrics.listener(listener);
    }

    /** For a request about to go upstream: the W3C trace headers, when tracing is on. */
    public void startTrace(HttpHeaders headers, Exchange exchange) {
        if (hub.tracing()) {
            OtlpSpanExport spans = hub.spans();
            TraceContext.apply(headers, exchange, spans == null ? Long.MAX_VALUE : spans.sampleBound());
        }
    }

    /** Client connections of this listener: opened and closed. */
    public ObservedMetrics.ListenerMetrics connections() {
        return connections;
    }

    /**
     * The exchange is over (its response finished, or it broke off): route metrics and the access log,
     * once per exchange. {@code bytesIn}/{@code bytesOut} are the bytes read and written on its
     * connection for it.
     */
    public void finished(Exchange exchange, long bytesIn, long bytesOut) {
        if (!exchange.markObserved()) {
            return;
        }
        long duration = System.nanoTime() - exchange.startNanos();
        route(exchange.route()).record(exchange.status(), duration, bytesIn, bytesOut);
        OtlpSpanExport spans;
        if (exchange.traceSampled() && (spans = hub.spans()) != null) {
            spans.record(exchange, listener, duration);
        }
        AccessLog log = hub.accessLog();
        if (log != null) {
            long startMillis = System.currentTimeMillis() - duration / 1_000_000;
            log.log(exchange, new AccessLogFormat.Line(listener, bytesIn, bytesOut, duration, startMillis));
        }
    }

    private ObservedMetrics.RouteMetrics route(String route) {
        ObservedMetrics.RouteMetrics m = routes.get(route);
        if (m == null) {
            m = metrics.route(listener, route);
            routes.put(route, m);
        }
        return m;
    }
}
