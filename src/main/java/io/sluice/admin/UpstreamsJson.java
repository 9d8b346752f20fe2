package io.sluice.admin;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.balance.Endpoint;
import io.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;

/**
 * The body of {@code GET /api/upstreams}, shaped as the contract shows:
 * <pre>{"upstreams":[{"name":"api","balancer":"round_robin","endpoints":[{"address":"127.0.0.1:9001",
 *   "weight":5,"state":"healthy","in_flight":0,"requests_total":12}]}]}</pre>
 * Written field by field so the names and their order are exactly the contract's. Any thread.
 */
final class UpstreamsJson {

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private UpstreamsJson() {
    }

    /** Writes the document to {@code out} without closing it. */
    static void write(Collection<Upstream> upstreams, OutputStream out) throws IOException {
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            json.writeStartObject();
            json.writeArrayFieldStart("upstreams");
            if (upstreams != null) {
                for (Upstream upstream : upstreams) {
                    writeUpstream(json, upstream);
                }
            }
            json.writeEndArray();
            json.writeEndObject();
        }
    }

    private static void writeUpstream(JsonGenerator json, Upstream upstream) throws IOException {
        json.writeStartObject();
        json.writeStringField("name", upstream.name());
        json.writeStringField("balancer", upstream.config().balancer());
        json.writeArrayFieldStart("endpoints");
        for (Endpoint endpoint : upstream.endpoints()) {
            writeEndpoint(json, endpoint);
        }
        json.writeEndArray();
        json.writeBooleanField("panic", upstream.panicking());
        json.writeEndObject();
    }

    /** One endpoint: the contract's fields, then {@code effective_weight} (in units of weight). */
    static void writeEndpoint(JsonGenerator json, Endpoint endpoint) throws IOException {
        json.writeStartObject();
        json.writeStringField("address", endpoint.address());
        json.writeNumberField("weight", endpoint.weight());
        json.writeStringField("state", endpoint.state().label());
        json.writeNumberField("in_flight", endpoint.inFlight());
        json.writeNumberField("requests_total", endpoint.requestsTotal());
        json.writeNumberField("effective_weight",
                Math.round(endpoint.effectiveWeight() * 100.0 / Endpoint.WEIGHT_SCALE) / 100.0);
        json.writeEndObject();
    }

    /** {@code endpoint} alone, as the endpoint admin calls answer. */
    static void writeEndpoint(Endpoint endpoint, OutputStream out) throws IOException {
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            writeEndpoint(json, endpoint);
        }
    }
}
