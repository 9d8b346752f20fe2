package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The circuit breaker driven by real failures of real upstreams: opening, refusing, half-open, closing. */
class CircuitBreakerFlowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(SluiceUnderTest sluice, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(sluice.uri("main", path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String circuit(SluiceUnderTest sluice) throws Exception {
        String body = client.send(HttpRequest.newBuilder(sluice.adminUri("/api/upstreams")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return JSON.readTree(body).get("upstreams").get(0).get("circuit").asText();
    }

    private String metrics(SluiceUnderTest sluice) throws Exception {
        return client.send(HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String config(String breaker) {
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes: [ { upstream: app } ]
                admin:
                  address: 127.0.0.1:0
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """ + breaker;
    }

    /** A failure that opens the breaker is not retried (found by a review: retries went on to the open upstream). */
    @Test
    void noRetryGoesToAnUpstreamWhoseBreakerOpened() throws Exception {
        try (TestUpstream a = TestUpstream.start("a", exchange -> {
                 exchange.getRequestBody().readAllBytes();
                 exchange.sendResponseHeaders(502, -1);
                 exchange.close();
             });
             TestUpstream b = TestUpstream.start("b", exchange -> {
                 exchange.getRequestBody().readAllBytes();
                 exchange.sendResponseHeaders(502, -1);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(config("""
                         retry: { attempts: 3, on: [502] }
                         circuit_breaker: { failure_ratio: 50%, min_requests: 2, window: 1m, open_for: 1m }
                     """).replace("endpoints: [ { address: \"${UP1}\" } ]",
                     "endpoints: [ { address: \"${UP1}\" }, { address: \"${UP2}\" } ]"),
                     Map.of("UP1", a.address(), "UP2", b.address()))) {
            assertThat(get(sluice, "/once").statusCode()).isEqualTo(502);
            assertThat(circuit(sluice)).isEqualTo("open");
            // the second failure opened the breaker: the third attempt was not sent
            assertThat(a.receivedCount() + b.receivedCount()).isEqualTo(2);
        }
    }

    @Test
    void fiveHundredsOpenItThenItRefusesWithoutSendingThenATrialClosesIt() throws Exception {
        AtomicInteger status = new AtomicInteger(500);
        try (TestUpstream app = TestUpstream.start("app", exchange -> {
                 exchange.getRequestBody().readAllBytes();
                 exchange.sendResponseHeaders(status.get(), -1);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(config("""
                         circuit_breaker: { failure_ratio: 50%, min_requests: 4, window: 1m, open_for: 10s,
                                            half_open_requests: 1 }
                     """), TestUpstream.env(app))) {
            assertThat(circuit(sluice)).isEqualTo("closed");
            for (int i = 0; i < 4; i++) {
                assertThat(get(sluice, "/fail").statusCode()).isEqualTo(500);
            }
            assertThat(circuit(sluice)).isEqualTo("open");
            assertThat(app.receivedCount()).isEqualTo(4);
            HttpResponse<String> refused = get(sluice, "/refused");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("X-Request-ID")).isPresent();
            assertThat(refused.body()).contains("circuit breaker");
            assertThat(app.receivedCount()).isEqualTo(4); // nothing went upstream
            assertThat(metrics(sluice)).contains("sluice_upstream_circuit_state{state=\"open\",upstream=\"app\"} 1")
                    .contains("sluice_upstream_circuit_refused_total{upstream=\"app\"} 1")
                    .contains("sluice_upstream_circuit_opened_total{upstream=\"app\"} 1");

            status.set(200);
            // open_for (10s) is far longer than the few requests above take, even on a loaded machine; after
            // it the next request is the trial: it reaches the upstream and closes the breaker.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> get(sluice, "/again").statusCode() == 200);
            assertThat(circuit(sluice)).isEqualTo("closed");
            assertThat(get(sluice, "/ok").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aFailedTrialOpensItAgainAndConnectFailuresCount() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (SluiceUnderTest sluice = SluiceUnderTest.start(config("""
                    circuit_breaker: { min_requests: 2, open_for: 10s, on: [connect_failure] }
                """), Map.of("UP1", "127.0.0.1:" + closed))) {
            assertThat(get(sluice, "/a").statusCode()).isEqualTo(502);
            assertThat(get(sluice, "/b").statusCode()).isEqualTo(502);
            assertThat(circuit(sluice)).isEqualTo("open");
            assertThat(get(sluice, "/c").statusCode()).isEqualTo(503);
            // Each trial fails to connect (502) and opens it again; every other request meanwhile is 503.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> get(sluice, "/trial").statusCode() == 502);
            assertThat(circuit(sluice)).isEqualTo("open");
            assertThat(metrics(sluice)).containsPattern("sluice_upstream_circuit_opened_total\\{upstream=\"app\"} [2-9]");
        }
    }

    @Test
    void statusesNotListedInOnDoNotCount() throws Exception {
        try (TestUpstream app = TestUpstream.start("app", exchange -> {
                 exchange.sendResponseHeaders(exchange.getRequestURI().getPath().equals("/503") ? 503 : 500, -1);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(config("""
                         circuit_breaker: { min_requests: 2, on: [503] }
                     """), TestUpstream.env(app))) {
            for (int i = 0; i < 5; i++) {
                assertThat(get(sluice, "/500").statusCode()).isEqualTo(500);
            }
            assertThat(circuit(sluice)).isEqualTo("closed");
            get(sluice, "/503");
            assertThat(get(sluice, "/503").statusCode()).isEqualTo(503); // 2 of 7: below 50%
            assertThat(circuit(sluice)).isEqualTo("closed");
        }
    }

    @Test
    void theStateSurvivesAReloadThatKeepsTheBreakerAndAWithoutBreakerUpstreamShowsNull() throws Exception {
        try (TestUpstream app = TestUpstream.start("app", exchange -> {
                 exchange.sendResponseHeaders(502, -1);
                 exchange.close();
             })) {
            String yaml = config("""
                        circuit_breaker: { min_requests: 1, open_for: 1h }
                    """);
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app))) {
                get(sluice, "/x");
                assertThat(circuit(sluice)).isEqualTo("open");
                sluice.reload(yaml + "    timeouts: { connect: 3s }\n", TestUpstream.env(app));
                assertThat(circuit(sluice)).isEqualTo("open");
                assertThat(get(sluice, "/y").statusCode()).isEqualTo(503);
                sluice.reload(config(""), TestUpstream.env(app));
                String body = client.send(HttpRequest.newBuilder(sluice.adminUri("/api/upstreams")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(JSON.readTree(body).get("upstreams").get(0).get("circuit").isNull()).isTrue();
                assertThat(get(sluice, "/z").statusCode()).isEqualTo(502);
            }
        }
    }

    @Test
    void itsCountersGoOnWhenAReloadChangesItsSettings() throws Exception {
        try (TestUpstream app = TestUpstream.start("app", exchange -> {
                 exchange.sendResponseHeaders(502, -1);
                 exchange.close();
             })) {
            try (SluiceUnderTest sluice = SluiceUnderTest.start(config("""
                        circuit_breaker: { min_requests: 1, open_for: 1h }
                    """), TestUpstream.env(app))) {
                get(sluice, "/x");
                assertThat(get(sluice, "/y").statusCode()).isEqualTo(503); // refused
                assertThat(metrics(sluice)).contains("sluice_upstream_circuit_opened_total{upstream=\"app\"} 1")
                        .contains("sluice_upstream_circuit_refused_total{upstream=\"app\"} 1");
                sluice.reload(config("""
                            circuit_breaker: { min_requests: 1, open_for: 2h }
                        """), TestUpstream.env(app)); // new settings: the state starts over, the counts go on
                assertThat(circuit(sluice)).isEqualTo("closed");
                assertThat(metrics(sluice)).contains("sluice_upstream_circuit_opened_total{upstream=\"app\"} 1")
                        .contains("sluice_upstream_circuit_refused_total{upstream=\"app\"} 1");
            }
        }
    }
}
