package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What the admin API and the status page show of the gateway's policies: a route's split sides (upstream and
 * weight, {@code split_on}) and mirror in {@code /api/routes}, an upstream's circuit breaker state in the
 * status page's HTML, and what the page tells its script about the drain buttons (open, token, read-only).
 */
class AdminRoutesAndStatusPageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private HttpResponse<String> get(java.net.URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String yaml(String admin) {
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - name: canary
                        match: { path_prefix: /checkout/ }
                        split:
                          - { upstream: v2, weight: 1 }
                          - { upstream: v1, weight: 9 }
                        split_on: cookie:user
                        mirror: { upstream: shadow, percent: 25% }
                      - name: turns
                        match: { path_prefix: /turns/ }
                        split: [ { upstream: v1, weight: 3 }, { upstream: v2, weight: 1 } ]
                      - name: plain
                        upstream: v1
                upstreams:
                  v1:
                    endpoints: [ { address: "${UP1}" } ]
                    circuit_breaker: { min_requests: 1, open_for: 1h }
                  v2:
                    endpoints: [ { address: "${UP1}" } ]
                  shadow:
                    endpoints: [ { address: "${UP1}" } ]
                """ + admin;
    }

    @Test
    void routesShowSplitSidesSplitOnAndMirror() throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("admin: { address: 127.0.0.1:0 }\n"),
                     TestUpstream.env(up))) {
            JsonNode routes = JSON.readTree(get(sluice.adminUri("/api/routes")).body()).get("routes");
            JsonNode canary = routes.get(0);
            assertThat(canary.get("action").asText()).isEqualTo("split");
            assertThat(canary.get("split").toString())
                    .isEqualTo("[{\"upstream\":\"v2\",\"weight\":1},{\"upstream\":\"v1\",\"weight\":9}]");
            assertThat(canary.get("split_on").asText()).isEqualTo("cookie:user");
            assertThat(canary.get("mirror").get("upstream").asText()).isEqualTo("shadow");
            assertThat(canary.get("mirror").get("percent").asDouble()).isEqualTo(25.0);
            JsonNode turns = routes.get(1);
            assertThat(turns.get("split")).hasSize(2);
            assertThat(turns.has("split_on")).isFalse();
            assertThat(turns.has("mirror")).isFalse();
            JsonNode plain = routes.get(2);
            assertThat(plain.get("upstream").asText()).isEqualTo("v1");
            assertThat(plain.has("split")).isFalse();
        }
    }

    @Test
    void theStatusPageShowsTheCircuitBreakerStateWithoutItsScript() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", exchange -> {
                 exchange.sendResponseHeaders(502, -1);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("admin: { address: 127.0.0.1:0 }\n"),
                     TestUpstream.env(up))) {
            String page = get(sluice.adminUri("/")).body();
            assertThat(page).contains("<span class=\"circuit closed\" data-circuit=\"closed\">circuit closed</span>");
            assertThat(page.split("data-circuit=", -1)).hasSize(2); // v1 only: v2 and shadow have no breaker

            assertThat(get(sluice.uri("main", "/x")).statusCode()).isEqualTo(502); // opens v1's breaker (1 of 1)
            assertThat(get(sluice.uri("main", "/x")).statusCode()).isEqualTo(503);
            assertThat(get(sluice.adminUri("/")).body())
                    .contains("<span class=\"circuit open\" data-circuit=\"open\">circuit open</span>");
        }
    }

    @Test
    void thePageTellsItsScriptWhatTheDrainButtonsCanDo() throws Exception {
        String[][] cases = {
            {"admin: { address: 127.0.0.1:0 }\n", "open"},
            {"admin: { address: 127.0.0.1:0, token: s3cret }\n", "token"},
            {"admin: { address: 0.0.0.0:0 }\n", "read-only"},
        };
        for (String[] c : cases) {
            try (TestUpstream up = TestUpstream.start("a");
                 SluiceUnderTest sluice = SluiceUnderTest.start(yaml(c[0]), TestUpstream.env(up))) {
                String page = get(java.net.URI.create("http://127.0.0.1:" + sluice.adminUri("/").getPort() + "/")).body();
                assertThat(page).as(c[0]).contains("<body data-changes=\"" + c[1] + "\">");
            }
        }
    }

    @Test
    void drainRestoreAndWeightReachAnEndpointWhoseAddressHasSlashes() throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes: [ { upstream: api } ]
                     upstreams:
                       api:
                         endpoints: [ { address: "https://${HOST}" }, { address: "http://${HOST}/base" } ]
                     admin: { address: 127.0.0.1:0 }
                     """, java.util.Map.of("HOST", up.address()))) {
            for (String address : new String[] {"https://" + up.address(), "http://" + up.address() + "/base"}) {
                // what the status page's script asks for: the address as one encodeURIComponent segment
                String base = "/api/upstreams/api/endpoints/"
                        + java.net.URLEncoder.encode(address, java.nio.charset.StandardCharsets.UTF_8);
                HttpResponse<String> drained = send(sluice.adminUri(base + "/drain"), "POST", "");
                assertThat(drained.statusCode()).as(address).isEqualTo(200);
                assertThat(JSON.readTree(drained.body()).get("state").asText()).isEqualTo("draining");
                assertThat(JSON.readTree(drained.body()).get("address").asText()).isEqualTo(address);
                HttpResponse<String> restored = send(sluice.adminUri(base + "/restore"), "POST", "");
                assertThat(restored.statusCode()).as(address).isEqualTo(200);
                assertThat(JSON.readTree(restored.body()).get("state").asText()).isNotEqualTo("draining");
                HttpResponse<String> weighted = send(sluice.adminUri(base + "/weight"), "PUT", "{\"weight\": 7}");
                assertThat(weighted.statusCode()).as(address).isEqualTo(200);
                assertThat(JSON.readTree(weighted.body()).get("weight").asInt()).isEqualTo(7);
            }
        }
    }

    @Test
    void routesNameTheMatchedHeadersCookiesAndQueryButHideTheirValues() throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes:
                           - name: keyed
                             match:
                               path_prefix: /api/
                               headers: { X-Api-Key: s3cr3t }
                               cookies: { session: "${CANARY}" }
                               query: { token: q-s3cr3t }
                             upstream: api
                     upstreams:
                       api:
                         endpoints: [ { address: "${UP1}" } ]
                     admin: { address: 127.0.0.1:0 }
                     """, java.util.Map.of("UP1", up.address(), "CANARY", "canary-cookie-value"))) {
            HttpResponse<String> response = get(sluice.adminUri("/api/routes"));
            assertThat(response.body()).doesNotContain("s3cr3t", "canary-cookie-value");
            JsonNode match = JSON.readTree(response.body()).get("routes").get(0).get("match");
            assertThat(match.get("headers").get("X-Api-Key").asText()).isEqualTo("[redacted]");
            assertThat(match.get("cookies").get("session").asText()).isEqualTo("[redacted]");
            assertThat(match.get("query").get("token").asText()).isEqualTo("[redacted]");
            assertThat(match.get("path_prefix").asText()).isEqualTo("/api/");
        }
    }

    private HttpResponse<String> send(java.net.URI uri, String method, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
