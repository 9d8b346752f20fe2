package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The access log's {@code upstream_error}: why the proxy answered 502/503/504 itself (or broke a response off),
 * from real upstreams that fail each way: a closed port, one that resets, one that never answers, one that
 * answers garbage, one that dies mid-body, an endpoint taken out, an open circuit breaker.
 */
class UpstreamErrorLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - { match: { path_prefix: /ok/ }, upstream: ok }
                  - { match: { path_prefix: /closed/ }, upstream: closed }
                  - { match: { path_prefix: /reset/ }, upstream: reset }
                  - { match: { path_prefix: /slow/ }, upstream: slow }
                  - { match: { path_prefix: /garbage/ }, upstream: garbage }
                  - { match: { path_prefix: /cut/ }, upstream: cut }
                  - { match: { path_prefix: /breaker/ }, upstream: breaker }
            upstreams:
              ok: { endpoints: [ { address: "${OK}" } ] }
              closed:   # taken out by the passive check after its first failure
                endpoints: [ { address: "${CLOSED}" } ]
                passive: { max_failures: 1, fail_timeout: 10m }
              reset: { endpoints: [ { address: "${RESET}" } ], retry: { attempts: 0 } }
              slow:     # retried on timeout, its only endpoint taken out by then: still a 504
                endpoints: [ { address: "${SLOW}" } ]
                passive: { max_failures: 1, fail_timeout: 10m }
                retry: { attempts: 1, on: [timeout] }
                timeouts: { response: 200ms }
              garbage: { endpoints: [ { address: "${GARBAGE}" } ], retry: { attempts: 0 } }
              cut: { endpoints: [ { address: "${CUT}" } ], retry: { attempts: 0 } }
              breaker:
                endpoints: [ { address: "${CLOSED2}" } ]
                retry: { attempts: 0 }
                circuit_breaker: { min_requests: 2, open_for: 10m, on: [connect_failure] }
            access_log:
              format: json
              path: ${LOG}
            """;

    @Test
    void eachFailureHasItsToken() throws Exception {
        Path log = Files.createTempDirectory("sluice-log").resolve("access.log");
        CountDownLatch never = new CountDownLatch(1);
        try (TestUpstream ok = TestUpstream.start("ok");
             RawServer reset = new RawServer((s, i) -> RawServer.readHead(s.getInputStream()));
             RawServer slow = new RawServer((s, i) -> {
                 RawServer.readHead(s.getInputStream());
                 never.await(); // no answer until the test ends
             });
             RawServer garbage = new RawServer((s, i) -> {
                 RawServer.readHead(s.getInputStream());
                 s.getOutputStream().write("HELLO THERE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
             });
             RawServer cut = new RawServer((s, i) -> {
                 RawServer.readHead(s.getInputStream());
                 s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"
                         .getBytes(StandardCharsets.US_ASCII));
             })) {
            Map<String, String> env = new HashMap<>(Map.of("OK", ok.address(), "CLOSED", closedPort(),
                    "CLOSED2", closedPort(), "RESET", reset.address(), "SLOW", slow.address(),
                    "GARBAGE", garbage.address(), "CUT", cut.address()));
            env.put("LOG", log.toString());
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env)) {
                assertThat(get(sluice, "/ok/1")).isEqualTo(200);
                assertThat(get(sluice, "/closed/1")).isEqualTo(502);
                assertThat(get(sluice, "/closed/2")).isEqualTo(503); // its only endpoint is out
                assertThat(get(sluice, "/reset/1")).isEqualTo(502);
                assertThat(get(sluice, "/slow/1")).isEqualTo(504);
                assertThat(get(sluice, "/garbage/1")).isEqualTo(502);
                assertThat(get(sluice, "/breaker/1")).isEqualTo(502);
                assertThat(get(sluice, "/breaker/2")).isEqualTo(502);
                assertThat(get(sluice, "/breaker/3")).isEqualTo(503);
                assertThat(get(sluice, "/nothing")).isEqualTo(404);
                try (Socket s = new Socket("127.0.0.1", sluice.port("main"))) { // the body is broken off
                    s.getOutputStream().write("GET /cut/1 HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().readAllBytes();
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> lines(log).size() == 11);
                Map<String, JsonNode> byUri = new HashMap<>();
                for (JsonNode line : lines(log)) {
                    byUri.put(line.get("uri").asText(), line);
                }
                assertThat(byUri.get("/ok/1").get("upstream_error").isNull()).isTrue();
                assertThat(byUri.get("/nothing").get("upstream_error").isNull()).isTrue();
                assertThat(error(byUri, "/closed/1")).isEqualTo("connect_failed");
                assertThat(byUri.get("/closed/1").get("attempts").asInt()).isEqualTo(1);
                assertThat(error(byUri, "/closed/2")).isEqualTo("no_endpoint");
                assertThat(error(byUri, "/reset/1")).isEqualTo("reset");
                assertThat(error(byUri, "/slow/1")).isEqualTo("timeout");
                assertThat(error(byUri, "/garbage/1")).isEqualTo("protocol_error");
                assertThat(error(byUri, "/breaker/2")).isEqualTo("connect_failed");
                assertThat(error(byUri, "/breaker/3")).isEqualTo("circuit_open");
                assertThat(error(byUri, "/cut/1")).isEqualTo("reset");
                assertThat(byUri.get("/cut/1").get("status").asInt()).isEqualTo(200); // the upstream's, broken off
            }
        } finally {
            never.countDown();
        }
    }

    @Test
    void combinedShowsTheToken() throws Exception {
        Path log = Files.createTempDirectory("sluice-log").resolve("access.log");
        String yaml = """
                listeners:
                  - { name: main, address: 127.0.0.1:0, routes: [ { upstream: app } ] }
                upstreams:
                  app: { endpoints: [ { address: "${UP}" } ], retry: { attempts: 0 } }
                access_log: { format: combined, path: "${LOG}" }
                """;
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP", closedPort(), "LOG", log.toString()))) {
            assertThat(get(sluice, "/x")).isEqualTo(502);
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(log) && !Files.readAllLines(log).isEmpty());
            assertThat(Files.readAllLines(log).get(0)).contains(" 502 ").contains(" attempts=1 upstream_error=connect_failed ");
        }
    }

    @Test
    void aForwardProxysConnectThatCannotConnect() throws Exception {
        Path log = Files.createTempDirectory("sluice-log").resolve("access.log");
        String closed = closedPort();
        String yaml = """
                listeners:
                  - { name: egress, address: 127.0.0.1:0, forward_proxy: { allow: ["${CLOSED}"] } }
                access_log: { format: json, path: "${LOG}" }
                """;
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("CLOSED", closed, "LOG", log.toString()));
             RawHttp c = new RawHttp(sluice.port("egress"))) {
            c.send("CONNECT " + closed + " HTTP/1.1\r\nHost: " + closed + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(502);
            await().atMost(Duration.ofSeconds(60)).until(() -> lines(log).size() == 1);
            assertThat(lines(log).get(0).get("upstream_error").asText()).isEqualTo("connect_failed");
        }
    }

    private int get(SluiceUnderTest sluice, String path) throws Exception {
        URI uri = sluice.uri("main", path);
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String error(Map<String, JsonNode> byUri, String uri) {
        return byUri.get(uri).get("upstream_error").asText();
    }

    private static List<JsonNode> lines(Path log) throws Exception {
        if (!Files.exists(log)) {
            return List.of();
        }
        return Files.readAllLines(log).stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException(l, e);
            }
        }).toList();
    }

    /** An address nothing listens on: a port taken and given back. */
    private static String closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }
}
