package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * OTLP span export end to end: a real OTLP/HTTP receiver (a JDK HttpServer decoding the protobuf body with
 * the opentelemetry-proto classes) gets the spans of known traffic through Sluice.
 */
class OtlpExportTest {
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** One exported span and the resource it came with. */
    record Received(Resource resource, Span span) {
        String attr(String key) {
            return span.getAttributesList().stream().filter(kv -> kv.getKey().equals(key)).findFirst()
                    .map(kv -> value(kv.getValue())).orElse(null);
        }

        String resourceAttr(String key) {
            return resource.getAttributesList().stream().filter(kv -> kv.getKey().equals(key)).findFirst()
                    .map(kv -> value(kv.getValue())).orElse(null);
        }

        private static String value(AnyValue v) {
            return v.hasIntValue() ? Long.toString(v.getIntValue()) : v.getStringValue();
        }

        String traceId() {
            return HexFormat.of().formatHex(span.getTraceId().toByteArray());
        }

        String spanId() {
            return HexFormat.of().formatHex(span.getSpanId().toByteArray());
        }

        String parentSpanId() {
            return HexFormat.of().formatHex(span.getParentSpanId().toByteArray());
        }
    }

    /** POST /v1/traces on 127.0.0.1:0; records every span, answers an empty ExportTraceServiceResponse. */
    static final class OtlpReceiver implements AutoCloseable {
        final HttpServer server;
        final List<Received> spans = new CopyOnWriteArrayList<>();
        final List<String> contentTypes = new CopyOnWriteArrayList<>();

        OtlpReceiver() throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.createContext("/v1/traces", exchange -> {
                try (InputStream in = exchange.getRequestBody()) {
                    if (!"POST".equals(exchange.getRequestMethod())) {
                        exchange.sendResponseHeaders(405, -1);
                        return;
                    }
                    contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
                    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(in.readAllBytes());
                    for (ResourceSpans rs : request.getResourceSpansList()) {
                        for (ScopeSpans ss : rs.getScopeSpansList()) {
                            for (Span s : ss.getSpansList()) {
                                spans.add(new Received(rs.getResource(), s));
                            }
                        }
                    }
                    byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
                    exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                    exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(answer);
                    }
                }
            });
            server.setExecutor(Executors.newSingleThreadExecutor());
            server.start();
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
        }

        Received byPath(String path) {
            return spans.stream().filter(r -> path.equals(r.attr("url.path"))).findFirst().orElseThrow();
        }

        @Override
        public void close() {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
    }

    private static String yaml(String tracing) {
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - name: hello
                        match: { path_prefix: /hello }
                        respond: { status: 200, body: "hi\\n" }
                      - name: api
                        match: { path_prefix: /api/ }
                        upstream: app
                      - name: down
                        match: { path_prefix: /down/ }
                        upstream: down
                upstreams:
                  app:
                    endpoints:
                      - { address: "${UP1}" }
                  down:   # nothing listens there (a test that asks sets DOWN to a port just given back)
                    endpoints:
                      - { address: "${DOWN:-127.0.0.1:1}" }
                    retry: { attempts: 0 }
                admin:
                  address: 127.0.0.1:0
                """ + tracing;
    }

    private static TestUpstream upstream() throws Exception {
        return TestUpstream.start("app", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            int status = exchange.getRequestURI().getPath().startsWith("/api/fail") ? 500 : 200;
            byte[] body = "ok\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
    }

    private HttpResponse<String> get(URI uri, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("User-Agent", "otlp-test");
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> env(TestUpstream up, String down) {
        Map<String, String> env = TestUpstream.env(up);
        env.put("DOWN", down);
        return env;
    }

    /** An address nothing listens on: a port taken and given back. */
    private static String closedPort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    private static long metric(String text, String line) {
        return text.lines().filter(l -> l.startsWith(line + " ")).findFirst()
                .map(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(-1L);
    }

    @Test
    void spansOfForwardedRequestsReachTheCollectorWithTheIdsSentUpstream() throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(); TestUpstream up = upstream();
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("""
                     tracing:
                       otlp_endpoint: %s
                       service_name: sluice-test
                       export_timeout: 2s
                     """.formatted(receiver.endpoint())), env(up, closedPort()))) {
            long before = System.currentTimeMillis() * 1_000_000L;
            // 1. a client's sampled trace: the proxy's span is its child
            assertThat(get(sluice.uri("main", "/api/ok?x=1"),
                    "traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01",
                    "tracestate", "vendor=abc,other=1").statusCode()).isEqualTo(200);
            String sent1 = up.next().header("traceparent");
            // 2. no traceparent: the proxy starts the trace; the upstream answers 500
            assertThat(get(sluice.uri("main", "/api/fail")).statusCode()).isEqualTo(500);
            String sent2 = up.next().header("traceparent");
            // 2b. the upstream cannot be reached: the proxy answers 502, the span says why, as the access log does
            assertThat(get(sluice.uri("main", "/down/x")).statusCode()).isEqualTo(502);
            // 3. a local answer: no trace, no span
            assertThat(get(sluice.uri("main", "/hello")).statusCode()).isEqualTo(200);
            // 4. a client's trace not sampled: passed on, not exported
            assertThat(get(sluice.uri("main", "/api/unsampled"),
                    "traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-00").statusCode()).isEqualTo(200);
            assertThat(up.next().header("traceparent")).endsWith("-00");
            long after = System.currentTimeMillis() * 1_000_000L + 1_000_000L;
            // 5. a marker, sampled: spans leave in the order they end, so once its span is in, a span of
            // 3 or 4 would be too (a condition to wait on instead of a quiet period)
            assertThat(get(sluice.uri("main", "/api/marker")).statusCode()).isEqualTo(200);
            up.next();

            await().atMost(Duration.ofSeconds(60)).until(() -> receiver.spans.stream()
                    .anyMatch(r -> "/api/marker".equals(r.attr("url.path"))));
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    metric(get(sluice.adminUri("/metrics")).body(), "sluice_tracing_spans_total{result=\"exported\"}") == 4);
            String metrics = get(sluice.adminUri("/metrics")).body();
            assertThat(receiver.spans).extracting(r -> r.attr("url.path"))
                    .containsExactlyInAnyOrder("/api/ok", "/api/fail", "/down/x", "/api/marker"); // nothing of /hello, /api/unsampled
            assertThat(metric(metrics, "sluice_tracing_spans_total{result=\"dropped\"}")).isZero();
            assertThat(receiver.contentTypes).allMatch("application/x-protobuf"::equals);

            Received ok = receiver.byPath("/api/ok");
            assertThat(sent1).matches("00-" + CLIENT_TRACE + "-[0-9a-f]{16}-01");
            assertThat(ok.span().getName()).isEqualTo("GET route:api");
            assertThat(ok.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
            assertThat(ok.traceId()).isEqualTo(CLIENT_TRACE).isEqualTo(sent1.substring(3, 35));
            assertThat(ok.spanId()).isEqualTo(sent1.substring(36, 52));
            assertThat(ok.parentSpanId()).isEqualTo(CLIENT_SPAN);
            assertThat(ok.span().getTraceState()).isEqualTo("vendor=abc,other=1");
            assertThat(ok.span().getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
            assertThat(ok.span().getStartTimeUnixNano()).isBetween(before - 5_000_000L, ok.span().getEndTimeUnixNano());
            assertThat(ok.span().getEndTimeUnixNano()).isLessThanOrEqualTo(after);
            Map<String, String> attrs = ok.span().getAttributesList().stream()
                    .collect(Collectors.toMap(KeyValue::getKey, kv -> Received.value(kv.getValue())));
            assertThat(attrs).containsEntry("http.request.method", "GET")
                    .containsEntry("url.path", "/api/ok")
                    .containsEntry("url.scheme", "http")
                    .containsEntry("http.response.status_code", "200")
                    .containsEntry("server.address", "127.0.0.1")
                    .containsEntry("server.port", Integer.toString(sluice.port("main")))
                    .containsEntry("client.address", "127.0.0.1")
                    .containsEntry("network.peer.address", "127.0.0.1")
                    .containsEntry("network.protocol.version", "1.1")
                    .containsEntry("user_agent.original", "otlp-test")
                    .containsEntry("sluice.listener", "main")
                    .containsEntry("sluice.route", "api")
                    .containsEntry("sluice.upstream", "app")
                    .containsEntry("sluice.endpoint", up.address())
                    .containsEntry("sluice.attempts", "1")
                    .containsKey("sluice.request_id")
                    .doesNotContainKey("error.type")
                    .doesNotContainKey("sluice.upstream_error");
            assertThat(ok.resourceAttr("service.name")).isEqualTo("sluice-test");

            Received fail = receiver.byPath("/api/fail");
            assertThat(sent2).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
            assertThat(fail.traceId()).isEqualTo(sent2.substring(3, 35)).isNotEqualTo(CLIENT_TRACE);
            assertThat(fail.spanId()).isEqualTo(sent2.substring(36, 52));
            assertThat(fail.span().getParentSpanId().isEmpty()).isTrue(); // the proxy started the trace
            assertThat(fail.span().getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
            assertThat(fail.attr("http.response.status_code")).isEqualTo("500");
            assertThat(fail.attr("error.type")).isEqualTo("500");
            assertThat(fail.attr("sluice.upstream_error")).isNull(); // the upstream answered, with a 500

            Received down = receiver.byPath("/down/x");
            assertThat(down.span().getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
            assertThat(down.attr("http.response.status_code")).isEqualTo("502");
            assertThat(down.attr("error.type")).isEqualTo("502");
            assertThat(down.attr("sluice.upstream")).isEqualTo("down");
            assertThat(down.attr("sluice.attempts")).isEqualTo("1");
            assertThat(down.attr("sluice.upstream_error")).isEqualTo("connect_failed");

        }
    }

    @Test
    void sampleRatioZeroSamplesNoNewTraceButKeepsAClientsDecision() throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(); TestUpstream up = upstream();
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("""
                     tracing: { otlp_endpoint: %s, sample_ratio: 0 }
                     """.formatted(receiver.endpoint())), TestUpstream.env(up))) {
            for (int i = 0; i < 5; i++) {
                assertThat(get(sluice.uri("main", "/api/new")).statusCode()).isEqualTo(200);
                assertThat(up.next().header("traceparent")).endsWith("-00"); // what the upstream is told
            }
            assertThat(get(sluice.uri("main", "/api/client"),
                    "traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01").statusCode()).isEqualTo(200);
            // spans leave in the order they end: once the client's is in, one of the five before would be too
            await().atMost(Duration.ofSeconds(60)).until(() -> !receiver.spans.isEmpty());
            assertThat(receiver.spans).singleElement().satisfies(r -> {
                assertThat(r.attr("url.path")).isEqualTo("/api/client");
                assertThat(r.traceId()).isEqualTo(CLIENT_TRACE);
            });
        }
    }

    @Test
    void aStuckCollectorDropsAndCountsSpansButNeverDelaysRequests() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        HttpServer stuck = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        stuck.createContext("/v1/traces", exchange -> {
            try {
                release.await(5, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        stuck.setExecutor(Executors.newCachedThreadPool());
        stuck.start();
        int requests = 300;
        try (TestUpstream up = upstream();
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("""
                     tracing: { otlp_endpoint: "http://127.0.0.1:%d/v1/traces", export_timeout: 1s, queue_size: 16 }
                     """.formatted(stuck.getAddress().getPort())), TestUpstream.env(up))) {
            // The collector holds every export until the release below: requests go on meanwhile, and the
            // spans that do not fit the queue are dropped (counted), never waited for.
            for (int i = 0; i < requests; i++) {
                assertThat(get(sluice.uri("main", "/api/x")).statusCode()).isEqualTo(200);
            }
            String metricsNow = get(sluice.adminUri("/metrics")).body();
            assertThat(metric(metricsNow, "sluice_tracing_spans_total{result=\"dropped\"}")).isPositive();
            release.countDown();
            // every span is accounted for: exported (none: the collector answers 503), failed or dropped
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                String m = get(sluice.adminUri("/metrics")).body();
                long exported = Math.max(0, metric(m, "sluice_tracing_spans_total{result=\"exported\"}"));
                long failed = Math.max(0, metric(m, "sluice_tracing_spans_total{result=\"failed\"}"));
                long dropped = metric(m, "sluice_tracing_spans_total{result=\"dropped\"}");
                assertThat(exported).isZero();
                assertThat(failed + dropped).isEqualTo(requests);
            });
        } finally {
            release.countDown();
            stuck.stop(0);
            ((java.util.concurrent.ExecutorService) stuck.getExecutor()).shutdownNow();
        }
    }

    @Test
    void withExportOffNoExporterThreadStarts() throws Exception {
        // an export test before this one in the same JVM has shut its worker down by now
        await().atMost(Duration.ofSeconds(60)).until(() -> exporterThreads().isEmpty());
        try (TestUpstream up = upstream();
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("tracing: { sample_ratio: 0.5 }\n"), TestUpstream.env(up))) {
            for (int i = 0; i < 20; i++) {
                assertThat(get(sluice.uri("main", "/api/x")).statusCode()).isEqualTo(200);
                assertThat(up.next().header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
            }
            assertThat(exporterThreads()).isEmpty();
            String metrics = get(sluice.adminUri("/metrics")).body();
            assertThat(metrics).doesNotContain("sluice_tracing_spans_total{");
        }
    }

    private static List<String> exporterThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("BatchSpanProcessor")).toList();
    }
}
