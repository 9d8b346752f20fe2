package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.balance.Endpoint;
import io.sluice.tls.TestPki;
import io.sluice.upstream.Upstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What /metrics promises operators (issue 11): the proxy's own 503 for an upstream with no endpoint in
 * service carries that upstream's name; a fresh proxy shows no always-zero series with empty labels;
 * sluice_build_info, the reload gauges, health-check results and certificate expiry are there.
 */
class MetricsContractTest {
    @TempDir
    static Path dir;

    private final HttpClient client = HttpClient.newHttpClient();

    private String get(URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private int status(URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void noEndpointInServiceIsCountedWithTheUpstreamsName() throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes: [ { upstream: app } ]
                     upstreams:
                       app: { endpoints: [ { address: "127.0.0.1:${PORT}" } ] }
                     admin: { address: 127.0.0.1:0 }
                     """, Map.of("PORT", Integer.toString(up.port())))) {
            String fresh = get(sluice.adminUri("/metrics"));
            assertThat(fresh.lines().filter(l -> !l.startsWith("#")).filter(l -> l.contains("=\"\"")))
                    .as("always-zero series with empty labels").isEmpty();
            for (Upstream u : sluice.sluice().upstreams()) {
                u.endpoints().forEach(e -> e.setOut(Endpoint.DRAINED, true));
            }
            assertThat(status(sluice.uri("main", "/x"))).isEqualTo(503);
            String metrics = get(sluice.adminUri("/metrics"));
            assertThat(metrics).contains("sluice_requests_total{code=\"503\",endpoint=\"\",upstream=\"app\"} 1.0")
                    .doesNotContain("code=\"503\",endpoint=\"\",upstream=\"\"")
                    .contains("sluice_request_duration_seconds_count{upstream=\"app\"} 1");
            assertThat(metrics).containsPattern("sluice_build_info\\{commit=\"[^\"]*\",java=\"17[^\"]*\",netty=\"4\\.2[^\"]*\","
                    + "tls=\"(openssl|jdk|unchecked)\",transport=\"[a-z_]+\",version=\"[^\"]+\"} 1.0");
            assertThat(metrics).contains("sluice_config_last_reload_success 1.0")
                    .contains("sluice_config_last_reload_timestamp_seconds ");
        }
    }

    @Test
    void healthCheckResultsAndCertificateExpiry() throws Exception {
        TestPki pki = new TestPki(dir, "metrics");
        TestPki.Issued site = pki.issue("site", "site.test");
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: secure
                         address: 127.0.0.1:0
                         protocol: https
                         tls: { certificates: [ { cert: "${CRT}", key: "${KEY}" } ] }
                         routes: [ { upstream: app } ]
                     upstreams:
                       app:
                         endpoints: [ { address: "127.0.0.1:${PORT}" } ]
                         health_check: { path: /, interval: 100ms, timeout: 1s }
                       other: { endpoints: [ { address: "127.0.0.1:${PORT}" } ] }
                     admin: { address: 127.0.0.1:0 }
                     """, Map.of("PORT", Integer.toString(up.port()), "CRT", site.cert().toString(),
                     "KEY", site.key().toString()))) {
            String passed = "sluice_health_checks_total{endpoint=\"127.0.0.1:" + up.port()
                    + "\",result=\"passed\",upstream=\"app\"} ";
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> get(sluice.adminUri("/metrics")).lines().anyMatch(l -> l.startsWith(passed) && !l.endsWith(" 0.0")));
            String metrics = get(sluice.adminUri("/metrics"));
            assertThat(metrics).doesNotContain("upstream=\"other\",result").doesNotContain("result=\"passed\",upstream=\"other\"");
            // a TLS listener made the proxy ask for BoringSSL: the tls label says what it found, in one series
            assertThat(metrics.lines().filter(l -> l.startsWith("sluice_build_info{"))).singleElement().asString()
                    .containsPattern("tls=\"(openssl|jdk)\"");
            String expiry = metrics.lines().filter(l -> l.startsWith("sluice_tls_certificate_expiry_seconds{"))
                    .findFirst().orElseThrow();
            assertThat(expiry).contains("certificate=\"" + site.cert() + "\"").contains("listener=\"secure\"")
                    .contains("subject=\"site.test\"");
            double seconds = Double.parseDouble(expiry.substring(expiry.lastIndexOf(' ') + 1));
            long expected = (site.certificate().getNotAfter().getTime() - System.currentTimeMillis()) / 1000;
            assertThat(seconds).isBetween(expected - 3600.0, expected + 60.0);
        }
    }
}
