package io.sluice.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.exchange.Exchange;
import org.junit.jupiter.api.Test;

class TraceContextTest {
    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void validation() {
        assertThat(TraceContext.isValid(VALID)).isTrue();
        assertThat(TraceContext.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")).isTrue();
        assertThat(TraceContext.isValid("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future")).isTrue();
        assertThat(TraceContext.isValid("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")).isFalse();
        assertThat(TraceContext.isValid("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).isFalse();
        assertThat(TraceContext.isValid("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).isFalse();
        assertThat(TraceContext.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")).isFalse();
        assertThat(TraceContext.isValid(VALID + "-x")).isFalse(); // version 00 has exactly four fields
        assertThat(TraceContext.isValid("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01")).isFalse();
        assertThat(TraceContext.isValid("")).isFalse();
    }

    private static Exchange exchange(DefaultHttpRequest request) {
        return new Exchange(request, "id", "127.0.0.1", "/", true, System.nanoTime());
    }

    @Test
    void continuesAValidTraceAsAChildSpan() {
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        HttpHeaders h = request.headers().set("traceparent", VALID).set("tracestate", "a=1");
        Exchange ex = exchange(request);
        TraceContext.apply(h, ex);
        String sent = h.get("traceparent");
        assertThat(sent).matches("00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01").isNotEqualTo(VALID);
        assertThat(h.get("tracestate")).isEqualTo("a=1");
        assertThat(ex.traceId().toString()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(ex.spanId().toString()).isEqualTo(sent.substring(36, 52));
    }

    @Test
    void startsATraceWhenAbsentOrInvalid() {
        for (String incoming : new String[] {null, "garbage", VALID.toUpperCase()}) {
            DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
            HttpHeaders h = request.headers();
            if (incoming != null) {
                h.set("traceparent", incoming).set("tracestate", "a=1");
            }
            Exchange ex = exchange(request);
            TraceContext.apply(h, ex);
            assertThat(TraceContext.isValid(h.get("traceparent"))).isTrue();
            assertThat(h.get("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
            assertThat(h.contains("tracestate")).isFalse();
            assertThat(h.getAll("traceparent")).hasSize(1);
        }
    }

    @Test
    void newTracesAreSampledAsTheSdksRatioSamplerWouldSample() {
        for (double ratio : new double[] {0, 0.001, 0.3, 0.5, 0.999, 1}) {
            io.opentelemetry.sdk.trace.samplers.Sampler sdk = io.opentelemetry.sdk.trace.samplers.Sampler.traceIdRatioBased(ratio);
            long bound = TraceContext.sampleBound(ratio);
            int sampled = 0;
            for (int i = 0; i < 2000; i++) {
                DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
                Exchange ex = exchange(request);
                TraceContext.apply(request.headers(), ex, bound);
                String traceId = ex.traceId().toString();
                boolean expected = sdk.shouldSample(io.opentelemetry.context.Context.root(), traceId, "x",
                        io.opentelemetry.api.trace.SpanKind.SERVER, io.opentelemetry.api.common.Attributes.empty(),
                        java.util.List.of()).getDecision() == io.opentelemetry.sdk.trace.samplers.SamplingDecision.RECORD_AND_SAMPLE;
                assertThat(ex.traceSampled()).as("ratio %s trace %s", ratio, traceId).isEqualTo(expected);
                assertThat(request.headers().get("traceparent")).endsWith(expected ? "-01" : "-00");
                assertThat(ex.parentSpanId().toString()).isEmpty();
                sampled += expected ? 1 : 0;
            }
            assertThat(sampled / 2000.0).isCloseTo(ratio, org.assertj.core.data.Offset.offset(0.05));
        }
    }

    @Test
    void aClientsTraceKeepsItsFlagsWhateverTheRatio() {
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        request.headers().set("traceparent", VALID);
        Exchange ex = exchange(request);
        TraceContext.apply(request.headers(), ex, TraceContext.sampleBound(0));
        assertThat(ex.traceSampled()).isTrue();
        assertThat(ex.parentSpanId().toString()).isEqualTo("00f067aa0ba902b7");
        assertThat(request.headers().get("traceparent")).endsWith("-01");
    }

    @Test
    void traceStateIsPassedToTheSdkInOrder() {
        assertThat(OtlpSpanExport.traceState("a=1, b=2,,bad ,c=3").asMap()).containsExactly(
                java.util.Map.entry("a", "1"), java.util.Map.entry("b", "2"), java.util.Map.entry("c", "3"));
        assertThat(OtlpSpanExport.traceState(null).isEmpty()).isTrue();
    }
}
