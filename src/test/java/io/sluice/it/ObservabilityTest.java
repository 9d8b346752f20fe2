package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.observe.TraceContext;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Metrics, access log, trace context and the /api documents, after known traffic on real sockets. */
class ObservabilityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static String yaml(String logPath, String format) {
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - name: hello
                        match: { path_prefix: /hello }
                        respond: { status: 200, body: "hi\\n" }
                      - name: app
                        match: { path_prefix: /app/ }
                        request_headers: { set: { X-Api-Token: s3cret } }
                        upstream: app
                upstreams:
                  app:
                    endpoints:
                      - { address: "${UP1}" }
                admin:
                  address: 127.0.0.1:0
                access_log:
                  format: %s
                  path: %s
                """.formatted(format, logPath);
    }

    private HttpResponse<String> get(URI uri, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long metric(String text, String line) {
        return text.lines().filter(l -> l.startsWith(line + " ")).findFirst()
                .map(ObservabilityTest::sampleValue).orElse(-1L);
    }

    /** The value of one exposition line ({@code name{labels} value}). */
    private static long sampleValue(String line) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    @Test
    void exactCountsInMetricsAndAccessLog() throws Exception {
        Path dir = Files.createTempDirectory("sluice-log");
        Path log = dir.resolve("access.log");
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(log.toString(), "json"), TestUpstream.env(up))) {
            for (int i = 0; i < 3; i++) {
                assertThat(get(sluice.uri("main", "/app/x?i=" + i)).statusCode()).isEqualTo(200);
            }
            for (int i = 0; i < 2; i++) {
                assertThat(get(sluice.uri("main", "/hello")).statusCode()).isEqualTo(200);
            }
            assertThat(get(sluice.uri("main", "/nothing")).statusCode()).isEqualTo(404);

            String metrics = get(sluice.adminUri("/metrics")).body();
            String ep = up.address();
            assertThat(metric(metrics, "sluice_requests_total{code=\"200\",endpoint=\"" + ep + "\",upstream=\"app\"}")).isEqualTo(3);
            assertThat(metric(metrics, "sluice_requests_total{code=\"200\",endpoint=\"\",upstream=\"\"}")).isEqualTo(2);
            assertThat(metric(metrics, "sluice_requests_total{code=\"404\",endpoint=\"\",upstream=\"\"}")).isEqualTo(1);
            assertThat(metric(metrics, "sluice_route_requests_total{code_class=\"2xx\",listener=\"main\",route=\"app\"}")).isEqualTo(3);
            assertThat(metric(metrics, "sluice_route_requests_total{code_class=\"2xx\",listener=\"main\",route=\"hello\"}")).isEqualTo(2);
            assertThat(metric(metrics, "sluice_route_requests_total{code_class=\"4xx\",listener=\"main\",route=\"\"}")).isEqualTo(1);
            assertThat(metric(metrics, "sluice_route_request_duration_seconds_count{listener=\"main\",route=\"app\"}")).isEqualTo(3);
            assertThat(metric(metrics, "sluice_endpoint_request_duration_seconds_count{endpoint=\"" + ep + "\",upstream=\"app\"}")).isEqualTo(3);
            assertThat(metric(metrics, "sluice_upstream_connects_total{endpoint=\"" + ep + "\",upstream=\"app\"}")).isEqualTo(1);
            assertThat(metric(metrics, "sluice_upstream_pool_reuses_total{endpoint=\"" + ep + "\",upstream=\"app\"}")).isEqualTo(2);
            assertThat(metric(metrics, "sluice_upstream_connections_open{endpoint=\"" + ep + "\",upstream=\"app\"}")).isEqualTo(1);
            assertThat(metric(metrics, "sluice_upstream_pool_idle_connections{endpoint=\"" + ep + "\",upstream=\"app\"}")).isEqualTo(1);
            assertThat(metric(metrics, "sluice_downstream_connections_total{listener=\"main\"}")).isEqualTo(1);
            assertThat(metric(metrics, "sluice_received_bytes_total{listener=\"main\",route=\"hello\"}")).isPositive();
            assertThat(metric(metrics, "sluice_sent_bytes_total{listener=\"main\",route=\"hello\"}")).isPositive();
            assertThat(metric(metrics, "sluice_access_log_lines_total")).isEqualTo(6);
            assertThat(metric(metrics, "sluice_access_log_dropped_total")).isZero();
            assertThat(metrics).contains("sluice_netty_allocator_used_bytes{type=\"direct\"}");

            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(log) && Files.readAllLines(log).size() == 6);
            List<JsonNode> lines = Files.readAllLines(log).stream().map(ObservabilityTest::json).toList();
            JsonNode first = lines.get(0);
            assertThat(first.get("status").asInt()).isEqualTo(200);
            assertThat(first.get("route").asText()).isEqualTo("app");
            assertThat(first.get("upstream").asText()).isEqualTo("app");
            assertThat(first.get("endpoint").asText()).isEqualTo(ep);
            assertThat(first.get("attempts").asInt()).isEqualTo(1);
            assertThat(first.get("uri").asText()).isEqualTo("/app/x?i=0");
            assertThat(first.get("upstream_connect_ms").isNumber()).isTrue();
            assertThat(first.get("upstream_header_ms").isNumber()).isTrue();
            assertThat(first.get("request_id").asText()).hasSize(32);
            assertThat(first.get("trace_id").asText()).hasSize(32);
            assertThat(first.get("bytes_out").asLong()).isPositive();
            assertThat(lines.get(1).get("upstream_connect_ms").isNull()).isTrue(); // a pooled connection
            assertThat(lines.get(3).get("route").asText()).isEqualTo("hello");
            assertThat(lines.get(3).get("attempts").asInt()).isZero();
            assertThat(lines.get(5).get("status").asInt()).isEqualTo(404);
            assertThat(lines.get(5).get("route").asText()).isEmpty();
        }
    }

    @Test
    void aRefusedReloadKeepsTheRunningAccessLog() throws Exception {
        Path dir = Files.createTempDirectory("sluice-log");
        Path oldLog = dir.resolve("old.log");
        Path newLog = dir.resolve("new.log");
        try (TestUpstream up = TestUpstream.start("a");
             java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(oldLog.toString(), "json"), TestUpstream.env(up))) {
            // a second listener on a port already taken: the reload is refused after the file was read
            String refused = yaml(newLog.toString(), "json").replace("listeners:\n", """
                    listeners:
                      - name: second
                        address: 127.0.0.1:%d
                        routes: [ { respond: { status: 200 } } ]
                    """.formatted(busy.getLocalPort()));
            assertThatThrownBy(() -> sluice.reload(refused, TestUpstream.env(up))).isNotNull();

            assertThat(get(sluice.uri("main", "/hello")).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(60)).until(() -> lines(oldLog) + lines(newLog) >= 1);
            assertThat(lines(oldLog)).isEqualTo(1);
            assertThat(lines(newLog)).isZero();
        }
    }

    private static long lines(Path file) throws java.io.IOException {
        return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    }

    @Test
    void linesLostToAFullDiskAreCounted() throws Exception {
        Path full = Path.of("/dev/full"); // every write fails with ENOSPC, as on a full disk
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(full), "/dev/full");
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(full.toString(), "json"), TestUpstream.env(up))) {
            for (int i = 0; i < 5; i++) {
                assertThat(get(sluice.uri("main", "/hello")).statusCode()).isEqualTo(200);
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    metric(get(sluice.adminUri("/metrics")).body(), "sluice_access_log_lost_total") >= 5);
        }
    }

    @Test
    void combinedFormat() throws Exception {
        Path log = Files.createTempDirectory("sluice-log").resolve("access.log");
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(log.toString(), "combined"), TestUpstream.env(up))) {
            get(sluice.uri("main", "/app/q?x=%221%22"), "User-Agent", "probe/1.0", "Referer", "http://r.test/",
                    "X-Request-ID", "req-42");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(log) && Files.readAllLines(log).size() == 1);
            String line = Files.readAllLines(log).get(0);
            assertThat(line).matches("127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000\\] "
                    + "\"GET /app/q\\?x=%221%22 HTTP/1\\.1\" 200 \\d+ \"http://r\\.test/\" \"probe/1\\.0\" "
                    + "request_id=req-42 route=app endpoint=" + up.address().replace(".", "\\.")
                    + " attempts=1 upstream_error=- upstream_connect_ms=\\d+\\.\\d{3} upstream_header_ms=\\d+\\.\\d{3} duration_ms=\\d+\\.\\d{3}");
        }
    }

    @Test
    void traceparentIsStartedOrContinued() throws Exception {
        Path log = Files.createTempDirectory("sluice-log").resolve("access.log");
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(log.toString(), "json"), TestUpstream.env(up))) {
            get(sluice.uri("main", "/app/new"), "tracestate", "vendor=dropped");
            TestUpstream.Received started = up.next();
            String tp = started.header("traceparent");
            assertThat(TraceContext.isValid(tp)).isTrue();
            assertThat(tp).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
            assertThat(started.header("tracestate")).isNull(); // a restarted trace drops tracestate

            String incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            get(sluice.uri("main", "/app/child"), "traceparent", incoming, "tracestate", "congo=t61rcWkgMzE");
            TestUpstream.Received child = up.next();
            String sent = child.header("traceparent");
            assertThat(sent).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-").endsWith("-01");
            assertThat(sent.substring(36, 52)).isNotEqualTo("00f067aa0ba902b7").matches("[0-9a-f]{16}");
            assertThat(child.header("tracestate")).isEqualTo("congo=t61rcWkgMzE");

            get(sluice.uri("main", "/app/bad"), "traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
            assertThat(up.next().header("traceparent")).doesNotContain("00000000000000000000000000000000");

            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(log) && Files.readAllLines(log).size() == 3);
            JsonNode childLine = json(Files.readAllLines(log).get(1));
            assertThat(childLine.get("trace_id").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(childLine.get("span_id").asText()).isEqualTo(sent.substring(36, 52));
        }
    }

    @Test
    void apiDocumentsAndEventStream() throws Exception {
        Path log = Files.createTempDirectory("sluice-log").resolve("access.log");
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(log.toString(), "json"), TestUpstream.env(up))) {
            JsonNode config = json(get(sluice.adminUri("/api/config")).body());
            String text = config.toString();
            assertThat(text).doesNotContain("s3cret").contains("[redacted]");
            assertThat(config.get("listeners").get(0).get("name").asText()).isEqualTo("main");

            JsonNode listeners = json(get(sluice.adminUri("/api/listeners")).body());
            assertThat(listeners.get("listeners").get(0).get("protocol").asText()).isEqualTo("http");
            // port 0 in the file: the configured address as written, and the one the system gave it
            assertThat(listeners.get("listeners").get(0).get("address").asText()).isEqualTo("127.0.0.1:0");
            assertThat(listeners.get("listeners").get(0).get("bound_address").asText())
                    .isEqualTo("127.0.0.1:" + sluice.port("main"));
            JsonNode routes = json(get(sluice.adminUri("/api/routes")).body());
            assertThat(routes.get("routes")).extracting(r -> r.get("name").asText()).containsExactly("hello", "app");
            JsonNode version = json(get(sluice.adminUri("/api/version")).body());
            assertThat(version.get("uptime_seconds").asLong()).isNotNegative();
            assertThat(version.has("version")).isTrue();

            get(sluice.uri("main", "/app/one"));
            HttpResponse<java.io.InputStream> events = client.send(HttpRequest.newBuilder(sluice.adminUri("/api/events"))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(events.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
            try (BufferedReader r = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
                assertThat(r.readLine()).isEqualTo("event: upstreams");
                String data = r.readLine();
                assertThat(data).startsWith("data: ");
                JsonNode endpoint = json(data.substring(6)).get("upstreams").get(0).get("endpoints").get(0);
                assertThat(endpoint.get("requests_total").asLong()).isEqualTo(1);
                assertThat(endpoint.get("series")).hasSize(60);
                assertThat(r.readLine()).isEmpty();
                assertThat(r.readLine()).isEqualTo("event: upstreams"); // the next second's
            }
        }
    }

    /**
     * The log goes to a named pipe whose reader never reads: once the pipe and the write buffer are full
     * the writer thread hangs in write(), as on a stuck disk. Requests still complete at full speed, and
     * every line is either queued or counted as dropped.
     */
    @Test
    void aStuckLogNeverBlocksRequests() throws Exception {
        Path dir = Files.createTempDirectory("sluice-log");
        Path fifo = dir.resolve("access.fifo");
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
        // Opening a FIFO blocks until the other end opens: open the (never reading) reader beside Sluice.
        java.util.concurrent.CompletableFuture<java.io.FileInputStream> reader =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return new java.io.FileInputStream(fifo.toFile());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        String yaml = yaml(fifo.toString(), "json") + "  queue_size: 16\n";
        int requests = 1500;
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(up))) {
            for (int i = 0; i < requests; i++) { // each would hang on the stuck pipe if logging waited
                assertThat(get(sluice.uri("main", "/hello?i=" + i)).statusCode()).isEqualTo(200);
            }
            String metrics = get(sluice.adminUri("/metrics")).body();
            long queued = metric(metrics, "sluice_access_log_lines_total");
            long dropped = metric(metrics, "sluice_access_log_dropped_total");
            // One line per exchange the proxy saw, counted beside the route metrics (RequestObserver#finished).
            // That may be more than the client's requests: the JDK client sends a GET again when a reused
            // connection closes before any answer (the likely cause, not shown, of the 1,501 lines CI once
            // counted for 1,500 GETs). A failure message lists the route counts by status class.
            List<String> routeCounts = metrics.lines()
                    .filter(l -> l.startsWith("sluice_route_requests_total{") && l.contains("listener=\"main\"")).toList();
            long exchanges = routeCounts.stream().mapToLong(ObservabilityTest::sampleValue).sum();
            assertThat(exchanges).as("%s", routeCounts).isGreaterThanOrEqualTo(requests);
            assertThat(queued + dropped).as("%s", routeCounts).isEqualTo(exchanges);
            assertThat(dropped).isPositive();
        } finally {
            reader.get(10, java.util.concurrent.TimeUnit.SECONDS).close(); // unsticks the writer (broken pipe)
        }
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unused")
    private static Map<String, String> none() {
        return Map.of();
    }
}
