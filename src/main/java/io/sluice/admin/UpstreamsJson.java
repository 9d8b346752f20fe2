package io.sluice.admin;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.balance.Endpoint;
import io.sluice.metrics.EndpointStats;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;

/**
 * The body of {@code GET /api/upstreams}, shaped as the contract shows:
 * <pre>{"upstreams":[{"name":"api","balancer":"round_robin","endpoints":[{"address":"127.0.0.1:9001",
 *   "weight":5,"state":"healthy","in_flight":0,"requests_total":12}]}]}</pre>
 * Written field by field so the names and their order are exactly the contract's. Any thread.
 *
 * <p>With metrics, each endpoint also has the last minute (added fields, after the contract's):
 * {@code effective_weight}, {@code rps} (mean over the minute), {@code p50_ms}, {@code p99_ms} (null
 * without requests), {@code error_rate} (0..1; 5xx and failed attempts), and {@code series}, requests
 * in each of the last 60 seconds, oldest first.
 *
 * <p>Per upstream, after its endpoints: {@code panic} (the balancers use every endpoint as if healthy) and
 * {@code circuit}, the state of its circuit breaker ({@code closed}, {@code open}, {@code half_open}), or
 * null without one.
 */
final class UpstreamsJson {

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private UpstreamsJson() {
    }

    /** Writes the document to {@code out} without closing it. */
    static void write(Collection<Upstream> upstreams, OutputStream out) throws IOException {
        write(upstreams, null, out);
    }

    /** As {@link #write(Collection, OutputStream)}, with each endpoint's last minute from {@code metrics}. */
    static void write(Collection<Upstream> upstreams, ProxyMetrics metrics, OutputStream out) throws IOException {
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            json.writeStartObject();
            json.writeArrayFieldStart("upstreams");
            if (upstreams != null) {
                for (Upstream upstream : upstreams) {
                    writeUpstream(json, upstream, metrics);
                }
            }
            json.writeEndArray();
            json.writeEndObject();
        }
    }

    private static void writeUpstream(JsonGenerator json, Upstream upstream, ProxyMetrics metrics) throws IOException {
        json.writeStartObject();
        json.writeStringField("name", upstream.name());
        json.writeStringField("balancer", upstream.config().balancer());
        json.writeArrayFieldStart("endpoints");
        for (Endpoint endpoint : upstream.endpoints()) {
            writeEndpoint(json, endpoint,
                    metrics == null ? null : metrics.stats(upstream.name(), endpoint.address()).snapshot());
        }
        json.writeEndArray();
        json.writeBooleanField("panic", upstream.panicking());
        if (upstream.breaker() == null) {
            json.writeNullField("circuit");
        } else {
            json.writeStringField("circuit", upstream.breaker().state().label());
        }
        io.sluice.config.DiscoveryConfig discovery = upstream.config().policies().discovery();
        if (discovery != null) { // the endpoints above include those found there (the last known while it is away)
            json.writeObjectFieldStart("discovery");
            json.writeStringField("zookeeper", discovery.connect());
            json.writeStringField("path", discovery.path());
            Boolean connected = upstream.discoveryConnected();
            json.writeBooleanField("connected", connected != null && connected);
            json.writeEndObject();
        }
        json.writeEndObject();
    }

    /**
     * One endpoint: the contract's fields, then {@code effective_weight} (in units of weight), then the
     * last minute when {@code last} is given.
     */
    static void writeEndpoint(JsonGenerator json, Endpoint endpoint, EndpointStats.Snapshot last) throws IOException {
        json.writeStartObject();
        json.writeStringField("address", endpoint.address());
        json.writeNumberField("weight", endpoint.weight());
        json.writeStringField("state", endpoint.state().label());
        json.writeNumberField("in_flight", endpoint.inFlight());
        json.writeNumberField("requests_total", endpoint.requestsTotal());
        json.writeNumberField("effective_weight",
                Math.round(endpoint.effectiveWeight() * 100.0 / Endpoint.WEIGHT_SCALE) / 100.0);
        if (last != null) {
            writeLastMinute(json, last);
        }
        json.writeEndObject();
    }

    /** {@code endpoint} alone, as the endpoint admin calls answer. */
    static void writeEndpoint(Endpoint endpoint, OutputStream out) throws IOException {
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            writeEndpoint(json, endpoint, null);
        }
    }

    private static void writeLastMinute(JsonGenerator json, EndpointStats.Snapshot last) throws IOException {
        json.writeNumberField("rps", Math.round(last.requestsPerSecond() * 100) / 100.0);
        writeMillis(json, "p50_ms", last.p50Millis());
        writeMillis(json, "p99_ms", last.p99Millis());
        json.writeNumberField("error_rate", Math.round(last.errorRate() * 10000) / 10000.0);
        json.writeArrayFieldStart("series");
        for (int n : last.perSecond()) {
            json.writeNumber(n);
        }
        json.writeEndArray();
    }

    private static void writeMillis(JsonGenerator json, String name, double millis) throws IOException {
        if (Double.isNaN(millis)) {
            json.writeNullField(name);
        } else {
            json.writeNumberField(name, Math.round(millis * 1000) / 1000.0);
        }
    }
}
