package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.sluice.balance.EndpointState;
import io.sluice.config.EndpointConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.upstream.Upstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyMetricsTest {

    private final ProxyMetrics metrics = new ProxyMetrics();

    @Test
    void countsRequestsPerUpstreamEndpointAndCode() throws IOException {
        ProxyMetrics.RequestMetrics api = metrics.requests("api", "127.0.0.1:9001");
        api.record(200, 1_000_000);
        api.record(200, 2_000_000);
        api.record(503, 3_000_000);
        metrics.requests("", "").record(404, 100_000);

        assertThat(lines())
                .contains("sluice_requests_total{code=\"200\",endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 2.0",
                        "sluice_requests_total{code=\"503\",endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 1.0",
                        "sluice_requests_total{code=\"404\",endpoint=\"\",upstream=\"\"} 1.0")
                .noneMatch(line -> line.startsWith("sluice_requests_total{code=\"404\",endpoint=\"127.0.0.1:9001\""));
    }

    @Test
    void histogramPerUpstreamInSeconds() throws IOException {
        ProxyMetrics.RequestMetrics recorder = metrics.requests("api", "127.0.0.1:9001");
        recorder.record(200, 300_000);       // 0.3 ms
        recorder.record(200, 20_000_000);    // 20 ms
        metrics.requests("api", "127.0.0.1:9002").record(500, 3_000_000_000L); // 3 s

        assertThat(lines()).contains(
                "sluice_request_duration_seconds_bucket{upstream=\"api\",le=\"5.0E-4\"} 1",
                "sluice_request_duration_seconds_bucket{upstream=\"api\",le=\"0.025\"} 2",
                "sluice_request_duration_seconds_bucket{upstream=\"api\",le=\"5.0\"} 3",
                "sluice_request_duration_seconds_bucket{upstream=\"api\",le=\"+Inf\"} 3",
                "sluice_request_duration_seconds_count{upstream=\"api\"} 3");
    }

    @Test
    void sameRecorderForTheSamePairSoReloadsContinueTheSeries() throws IOException {
        assertThat(metrics.requests("api", "a:1")).isSameAs(metrics.requests("api", "a:1"));
        assertThat(metrics.requests("api", "a:1")).isNotSameAs(metrics.requests("api", "a:2"));

        metrics.requests("api", "a:1").record(200, 1);
        metrics.requests("api", "a:1").record(200, 1);
        assertThat(lines()).contains("sluice_requests_total{code=\"200\",endpoint=\"a:1\",upstream=\"api\"} 2.0");
    }

    @Test
    void statusOutsideTheCachedRangeIsStillCounted() throws IOException {
        metrics.requests("api", "a:1").record(999, 1);
        assertThat(lines()).contains("sluice_requests_total{code=\"999\",endpoint=\"a:1\",upstream=\"api\"} 1.0");
    }

    @Test
    void endpointGaugesReadTheBoundUpstreams() throws IOException {
        Upstream api = new Upstream(new UpstreamConfig("api", "round_robin", null, 160, 0, null,
                List.of(new EndpointConfig("127.0.0.1:9001", "127.0.0.1", 9001, false, 5),
                        new EndpointConfig("127.0.0.1:9002", "127.0.0.1", 9002, false, 1)),
                null, null, null, null));
        api.endpoints().get(0).requestStarted();
        api.endpoints().get(0).requestStarted();
        api.endpoints().get(1).state(EndpointState.UNHEALTHY);

        assertThat(lines()).noneMatch(line -> line.startsWith("sluice_upstream_requests_in_flight{"));
        metrics.bindUpstreams(() -> List.of(api));

        assertThat(lines()).contains(
                "sluice_upstream_requests_in_flight{endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 2.0",
                "sluice_upstream_requests_in_flight{endpoint=\"127.0.0.1:9002\",upstream=\"api\"} 0.0",
                "sluice_endpoint_healthy{endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 1.0",
                "sluice_endpoint_healthy{endpoint=\"127.0.0.1:9002\",upstream=\"api\"} 0.0");
    }

    @Test
    void duplicateEndpointAddressDoesNotBreakTheScrape() throws IOException {
        Upstream api = new Upstream(new UpstreamConfig("api", "round_robin", null, 160, 0, null,
                List.of(new EndpointConfig("127.0.0.1:9001", "127.0.0.1", 9001, false, 1),
                        new EndpointConfig("127.0.0.1:9001", "127.0.0.1", 9001, false, 1)),
                null, null, null, null));
        metrics.bindUpstreams(() -> List.of(api));
        assertThat(lines()).containsOnlyOnce("sluice_endpoint_healthy{endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 1.0");
    }

    @Test
    void exportsJvmMetricsOnlyWhenAsked() throws IOException {
        assertThat(lines()).noneMatch(line -> line.startsWith("jvm_"));
        metrics.exportJvmMetrics();
        metrics.exportJvmMetrics(); // a second admin server (a reload) registers nothing twice
        assertThat(lines()).anyMatch(line -> line.startsWith("jvm_memory_used_bytes{"));
    }

    /**
     * "Warm" means JIT-compiled: the library's {@code Histogram.DataPoint.observe} wraps each value in
     * a capturing lambda, which the interpreter allocates and C2's escape analysis removes. So this
     * measures rounds until one is allocation-free, and fails if none is within the budget.
     */
    @Test
    void recordDoesNotAllocateOnceWarm() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ProxyMetrics.RequestMetrics recorder = metrics.requests("api", "127.0.0.1:9001");
        int[] codes = {200, 204, 301, 404, 502, 503};
        long thread = Thread.currentThread().getId();
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 200 && fewest >= 1024; round++) {
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 100_000; i++) {
                recorder.record(codes[i % codes.length], i * 1_000L);
            }
            fewest = Math.min(fewest, threads.getThreadAllocatedBytes(thread) - before);
        }
        // One 16-byte object per call would be 1.6 MB a round; 1 KiB leaves room for the measurement.
        assertThat(fewest).isLessThan(1024);
    }

    private List<String> lines() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
