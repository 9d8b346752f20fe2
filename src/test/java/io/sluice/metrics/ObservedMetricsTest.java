package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObservedMetricsTest {
    private final ProxyMetrics metrics = new ProxyMetrics();

    private List<String> lines() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void routeCountsByStatusClassAndBytes() throws IOException {
        ObservedMetrics.RouteMetrics route = metrics.observed().route("web", "api");
        route.record(200, 1_000_000, 100, 1000);
        route.record(204, 1_000_000, 100, 1000);
        route.record(503, 1_000_000, 100, 50);
        route.record(0, 1_000_000, 10, 0);
        metrics.retry("api");
        metrics.passiveEjection("api", "127.0.0.1:9001");
        assertThat(lines()).contains(
                "sluice_route_requests_total{code_class=\"2xx\",listener=\"web\",route=\"api\"} 2.0",
                "sluice_route_requests_total{code_class=\"5xx\",listener=\"web\",route=\"api\"} 1.0",
                "sluice_route_requests_total{code_class=\"other\",listener=\"web\",route=\"api\"} 1.0",
                "sluice_received_bytes_total{listener=\"web\",route=\"api\"} 310.0",
                "sluice_sent_bytes_total{listener=\"web\",route=\"api\"} 2050.0",
                "sluice_route_request_duration_seconds_count{listener=\"web\",route=\"api\"} 4",
                "sluice_upstream_retries_total{upstream=\"api\"} 1.0",
                "sluice_upstream_passive_ejections_total{endpoint=\"127.0.0.1:9001\",upstream=\"api\"} 1.0");
    }

    /** Same method as ProxyMetricsTest: rounds until one is allocation-free once JIT-compiled. */
    @Test
    void hotPathRecordersDoNotAllocateOnceWarm() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ObservedMetrics.RouteMetrics route = metrics.observed().route("web", "api");
        ProxyMetrics.RequestMetrics endpoint = metrics.requests("api", "127.0.0.1:9001");
        int[] codes = {200, 204, 301, 404, 502, 503};
        long thread = Thread.currentThread().getId();
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 200 && fewest >= 1024; round++) {
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 100_000; i++) {
                int code = codes[i % codes.length];
                route.record(code, i * 1_000L, 100, 200);
                endpoint.record(code, i * 1_000L);
                endpoint.connectionReused();
                if (i % 10 == 0) {
                    endpoint.attemptFailed();
                }
            }
            fewest = Math.min(fewest, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertThat(fewest).isLessThan(1024);
    }
}
