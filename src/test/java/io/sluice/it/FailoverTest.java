package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Endpoint failure handling against real upstream servers that fail, hang and come back. */
class FailoverTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final String HEAD = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: app
            admin:
              address: 127.0.0.1:0
            """;

    private HttpResponse<String> get(SluiceUnderTest sluice, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(sluice.uri("main", path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Endpoint endpoint(SluiceUnderTest sluice, String address) {
        for (Upstream u : sluice.sluice().upstreams()) {
            Endpoint e = u.endpoint(address);
            if (e != null) {
                return e;
            }
        }
        throw new AssertionError("no endpoint " + address);
    }

    private JsonNode upstreamsJson(SluiceUnderTest sluice) throws Exception {
        return JSON.readTree(client.send(HttpRequest.newBuilder(sluice.adminUri("/api/upstreams")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private String stateShown(SluiceUnderTest sluice, String address) throws Exception {
        for (JsonNode e : upstreamsJson(sluice).get("upstreams").get(0).get("endpoints")) {
            if (e.get("address").asText().equals(address)) {
                return e.get("state").asText();
            }
        }
        throw new AssertionError("no endpoint " + address + " in /api/upstreams");
    }

    @Test
    void activeHttpCheckTakesAnEndpointOutAfterTheUnhealthyThresholdAndBackAfterTheHealthyOne() throws Exception {
        AtomicBoolean sick = new AtomicBoolean();
        AtomicInteger checks = new AtomicInteger();
        try (TestUpstream a = TestUpstream.start("a", exchange -> {
                 String host = exchange.getRequestHeaders().getFirst("Host");
                 int code = exchange.getRequestURI().getPath().equals("/healthz")
                         ? (sick.get() ? 500 : 200) : 200;
                 if (exchange.getRequestURI().getPath().equals("/healthz") && "app.internal".equals(host)) {
                     checks.incrementAndGet();
                 }
                 exchange.sendResponseHeaders(code, -1);
                 exchange.close();
             });
             TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         endpoints: [{ address: "${UP1}" }, { address: "${UP2}" }]
                         health_check: { path: /healthz, host: app.internal, interval: 100ms, timeout: 500ms,
                                         unhealthy_threshold: 3, healthy_threshold: 2, expect_status: 200 }
                     """, TestUpstream.env(a, b))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> checks.get() >= 2);
            assertThat(stateShown(sluice, a.address())).isEqualTo("healthy");
            sick.set(true);
            int atSick = checks.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> stateShown(sluice, a.address()).equals("unhealthy"));
            assertThat(checks.get() - atSick).isGreaterThanOrEqualTo(3);
            for (int i = 0; i < 4; i++) {
                assertThat(get(sluice, "/x").body()).isEqualTo("b\n");
            }
            sick.set(false);
            int atWell = checks.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> stateShown(sluice, a.address()).equals("healthy"));
            assertThat(checks.get() - atWell).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void tcpCheckTakesOutAnEndpointThatRefusesConnections() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (RawUpstream up = RawUpstream.answering("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         endpoints: [{ address: "${UP1}" }, { address: "${UP2}" }]
                         health_check: { type: tcp, interval: 100ms, timeout: 500ms, unhealthy_threshold: 2 }
                     """, Map.of("UP1", up.address(), "UP2", "127.0.0.1:" + closedPort))) {
            String dead = "127.0.0.1:" + closedPort;
            await().atMost(Duration.ofSeconds(60)).until(() -> endpoint(sluice, dead).state() == EndpointState.UNHEALTHY);
            assertThat(endpoint(sluice, up.address()).state()).isEqualTo(EndpointState.HEALTHY);
            for (int i = 0; i < 4; i++) {
                assertThat(get(sluice, "/").statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void passiveChecksEjectOnConfiguredStatusesAndLetBackAfterFailTimeout() throws Exception {
        AtomicInteger code = new AtomicInteger(503);
        try (TestUpstream a = TestUpstream.start("a", exchange -> {
                 exchange.sendResponseHeaders(code.get(), -1);
                 exchange.close();
             });
             TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         endpoints: [{ address: "${UP1}" }, { address: "${UP2}" }]
                         passive: { max_failures: 2, fail_timeout: 1s, on_status: [503] }
                     """, TestUpstream.env(a, b))) {
            assertThat(get(sluice, "/").statusCode()).isEqualTo(503); // a: failure 1, relayed as is
            assertThat(get(sluice, "/").statusCode()).isEqualTo(200); // b
            assertThat(get(sluice, "/").statusCode()).isEqualTo(503); // a: failure 2, out
            assertThat(endpoint(sluice, a.address()).state()).isEqualTo(EndpointState.UNHEALTHY);
            for (int i = 0; i < 4; i++) {
                assertThat(get(sluice, "/").body()).isEqualTo("b\n");
            }
            code.set(200);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> endpoint(sluice, a.address()).state() == EndpointState.HEALTHY);
        }
    }

    @Test
    void anEjectedEndpointThatMovesInTheListOnAReloadComesBackAfterFailTimeout() throws Exception {
        AtomicInteger code = new AtomicInteger(503);
        try (TestUpstream a = TestUpstream.start("a", exchange -> {
                 exchange.sendResponseHeaders(code.get(), -1);
                 exchange.close();
             });
             TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         endpoints: [{ address: "${UP2}" }, { address: "${UP1}" }]
                         passive: { max_failures: 1, fail_timeout: 5s, on_status: [503] }
                     """, TestUpstream.env(a, b))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                get(sluice, "/");
                return endpoint(sluice, a.address()).state() == EndpointState.UNHEALTHY;
            });
            sluice.reload(HEAD + """
                    upstreams:
                      app:
                        endpoints: [{ address: "${UP1}" }]
                        passive: { max_failures: 1, fail_timeout: 5s, on_status: [503] }
                    """, TestUpstream.env(a, b)); // a moves from second to first: a new object, the same health
            assertThat(endpoint(sluice, a.address()).state()).isEqualTo(EndpointState.UNHEALTHY);
            code.set(200);
            await().atMost(Duration.ofSeconds(60)) // it stayed out for ever: the timer ended the old object's ejection
                    .until(() -> endpoint(sluice, a.address()).state() == EndpointState.HEALTHY);
            assertThat(get(sluice, "/").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anEndpointThatMovesInTheListOnAReloadKeepsItsRequestsInFlightAndCounters() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
        try (TestUpstream x = TestUpstream.start("x");
             TestUpstream b = TestUpstream.start("b", exchange -> {
                 held.incrementAndGet();
                 try {
                     release.await(30, TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 exchange.sendResponseHeaders(200, -1);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         endpoints: [{ address: "${UP1}" }, { address: "${UP2}" }]
                     """, TestUpstream.env(x, b))) {
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            while (held.get() < 2) { // round robin: every other request to b, which holds them
                waiting.add(client.sendAsync(HttpRequest.newBuilder(sluice.uri("main", "/")).build(),
                        HttpResponse.BodyHandlers.ofString()));
                int sent = waiting.size();
                await().atMost(Duration.ofSeconds(10)).until(() -> held.get() + (int) waiting.stream()
                        .filter(java.util.concurrent.CompletableFuture::isDone).count() >= sent);
            }
            long requestsBefore = endpoint(sluice, b.address()).requestsTotal();
            sluice.reload(HEAD + """
                    upstreams:
                      app:
                        endpoints: [{ address: "${UP2}" }]
                    """, TestUpstream.env(x, b)); // b moves from second to first
            JsonNode shown = upstreamsJson(sluice).get("upstreams").get(0).get("endpoints").get(0);
            assertThat(shown.get("address").asText()).isEqualTo(b.address());
            assertThat(shown.get("in_flight").asInt()).as("b's requests in flight").isEqualTo(2);
            assertThat(endpoint(sluice, b.address()).requestsTotal()).isEqualTo(requestsBefore);
            release.countDown();
            for (var response : waiting) {
                assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> upstreamsJson(sluice).get("upstreams").get(0)
                    .get("endpoints").get(0).get("in_flight").asInt() == 0);
        }
    }

    @Test
    void theRetryBudgetStopsARetryStorm() throws Exception {
        try (RawUpstream a = RawUpstream.answering("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
             RawUpstream b = RawUpstream.answering("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         endpoints: [{ address: "${UP1}" }, { address: "${UP2}" }]
                         retry: { attempts: 1, on: [502], budget: 20%, min_retries_per_second: 0 }
                     """, Map.of("UP1", a.address(), "UP2", b.address()))) {
            for (int i = 0; i < 100; i++) {
                assertThat(get(sluice, "/").statusCode()).isEqualTo(502);
            }
            int upstreamRequests = a.receivedCount() + b.receivedCount();
            int retries = upstreamRequests - 100;
            // 20% of 100 (no per-second minimum, so how long the run takes does not matter); a storm would be 100.
            assertThat(retries).isBetween(15, 25);
            String metrics = client.send(HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("sluice_upstream_retries_total{upstream=\"app\"} " + retries + ".0");
        }
    }

    @Test
    void drainingAnEndpointLosesNoRequest() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger held = new AtomicInteger();
        try (TestUpstream a = TestUpstream.start("a", exchange -> {
                 held.incrementAndGet();
                 try {
                     release.await(10, TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 byte[] body = "a\n".getBytes(StandardCharsets.UTF_8);
                 exchange.sendResponseHeaders(200, body.length);
                 try (OutputStream out = exchange.getResponseBody()) {
                     out.write(body);
                 }
             });
             TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         endpoints: [{ address: "${UP1}" }, { address: "${UP2}" }]
                     """, TestUpstream.env(a, b))) {
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            // least_connections with b answering at once: requests land on a until it holds 1 in flight each time
            for (int i = 0; i < 6 && held.get() < 2; i++) {
                inFlight.add(client.sendAsync(HttpRequest.newBuilder(sluice.uri("main", "/")).build(),
                        HttpResponse.BodyHandlers.ofString()));
                int want = i + 1;
                await().atMost(Duration.ofSeconds(60)).until(() -> held.get() + b.receivedCount() >= want);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> held.get() >= 1);
            HttpResponse<String> drained = client.send(HttpRequest.newBuilder(
                            sluice.adminUri("/api/upstreams/app/endpoints/" + a.address() + "/drain"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(drained.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(drained.body()).get("state").asText()).isEqualTo("draining");
            assertThat(JSON.readTree(drained.body()).get("in_flight").asInt()).isEqualTo(held.get());
            int heldAtDrain = held.get();
            for (int i = 0; i < 10; i++) {
                assertThat(get(sluice, "/").body()).isEqualTo("b\n");
            }
            assertThat(held.get()).isEqualTo(heldAtDrain);
            release.countDown();
            for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> endpoint(sluice, a.address()).inFlight() == 0);

            HttpResponse<String> restored = client.send(HttpRequest.newBuilder(
                            sluice.adminUri("/api/upstreams/app/endpoints/" + a.address() + "/restore"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(restored.body()).get("state").asText()).isEqualTo("healthy");
            HttpResponse<String> weighted = client.send(HttpRequest.newBuilder(
                            sluice.adminUri("/api/upstreams/app/endpoints/" + a.address() + "/weight"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"weight\": 7}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(weighted.body()).get("weight").asInt()).isEqualTo(7);
            assertThat(JSON.readTree(weighted.body()).get("effective_weight").asDouble()).isEqualTo(7.0);
            HttpResponse<String> bad = client.send(HttpRequest.newBuilder(
                            sluice.adminUri("/api/upstreams/app/endpoints/" + a.address() + "/weight?weight=-1"))
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(400);
            HttpResponse<String> unknown = client.send(HttpRequest.newBuilder(
                            sluice.adminUri("/api/upstreams/app/endpoints/127.0.0.1:1/drain"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void clientsSeeOnly200sWhileOneOfThreeEndpointsDiesUnderLoad() throws Exception {
        TestUpstream a = TestUpstream.start("a");
        try (a; TestUpstream b = TestUpstream.start("b"); TestUpstream c = TestUpstream.start("c");
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         endpoints: [{ address: "${UP1}" }, { address: "${UP2}" }, { address: "${UP3}" }]
                         passive: { max_failures: 1, fail_timeout: 30s }
                         retry: { attempts: 2, on: [connect_failure, reset, 502] }
                     """, TestUpstream.env(a, b, c))) {
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            AtomicInteger errors = new AtomicInteger();
            AtomicInteger answered = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                workers.add(pool.submit(() -> {
                    HttpClient own = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                    while (!stop.get()) {
                        try {
                            HttpResponse<String> r = own.send(HttpRequest.newBuilder(sluice.uri("main", "/"))
                                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                            statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                        } catch (IOException | InterruptedException e) {
                            errors.incrementAndGet();
                        }
                        answered.incrementAndGet();
                    }
                    return null;
                }));
            }
            try {
                // Counted in requests, not in seconds: a loaded machine only makes the run longer.
                await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= 50 && a.receivedCount() > 0);
                a.close(); // mid-run: its connections and listening socket go away
                int atKill = answered.get();
                await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= atKill + 100);
            } finally {
                stop.set(true);
                pool.shutdown();
            }
            for (Future<?> w : workers) {
                w.get(60, TimeUnit.SECONDS);
            }
            assertThat(errors.get()).isZero();
            assertThat(statuses.keySet()).containsExactly(200);
            assertThat(endpoint(sluice, a.address()).state()).isEqualTo(EndpointState.UNHEALTHY);
        }
    }

    @Test
    void retryAttemptsZeroMeansTheFirstFailureIsTheAnswer() throws Exception {
        int refused;
        try (ServerSocket closed = new ServerSocket(0)) {
            refused = closed.getLocalPort(); // nothing listens there once closed
        }
        try (TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(HEAD + """
                     upstreams:
                       app:
                         balancer: round_robin
                         endpoints: [{ address: "127.0.0.1:%d" }, { address: "${UP1}" }]
                         retry: { attempts: 0, on: [connect_failure, 502] }
                     """.formatted(refused), TestUpstream.env(b))) {
            assertThat(get(sluice, "/1").statusCode()).isEqualTo(502); // the refused one first: no second try
            assertThat(get(sluice, "/2").statusCode()).isEqualTo(200);
            assertThat(b.receivedCount()).isEqualTo(1);
        }
    }
}
