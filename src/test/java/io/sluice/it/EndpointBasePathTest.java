package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Endpoint addresses with a path: the forwarded target is the base and the request path joined with one
 * slash (Go's NewSingleHostReverseProxy), the query kept; health checks use their own path as written.
 */
class EndpointBasePathTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private int get(SluiceUnderTest sluice, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(sluice.uri("main", path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void theBasePathIsJoinedWithOneSlashAndTheQueryKept() throws Exception {
        try (TestUpstream a = TestUpstream.start("a");
             TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes:
                           - { match: { path_prefix: /api/ }, strip_prefix: /api, upstream: app }
                           - upstream: app
                     upstreams:
                       app:
                         balancer: round_robin
                         endpoints: [ { address: "http://${UP1}/base" }, { address: "http://${UP2}/v2/" } ]
                     """, TestUpstream.env(a, b))) {
            assertThat(get(sluice, "/x?a=1")).isEqualTo(200);
            assertThat(get(sluice, "/x?a=1")).isEqualTo(200);
            assertThat(a.next().uri()).isEqualTo("/base/x?a=1");
            assertThat(b.next().uri()).isEqualTo("/v2/x?a=1");
            assertThat(get(sluice, "/")).isEqualTo(200);
            assertThat(get(sluice, "/api/users/7?q=%20z")).isEqualTo(200);
            assertThat(a.next().uri()).isEqualTo("/base/");
            assertThat(b.next().uri()).isEqualTo("/v2/users/7?q=%20z");
        }
    }

    @Test
    void aRetryOnAnotherEndpointUsesThatEndpointsBase() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes: [ { upstream: app } ]
                     upstreams:
                       app:
                         endpoints: [ { address: "http://127.0.0.1:%d/gone" }, { address: "http://${UP1}/live" } ]
                         retry: { attempts: 1, on: [connect_failure] }
                     """.formatted(closed), TestUpstream.env(b))) {
            assertThat(get(sluice, "/r")).isEqualTo(200);
            assertThat(b.next().uri()).isEqualTo("/live/r");
        }
    }

    @Test
    void healthChecksUseTheirPathAsWrittenNotJoinedToTheBase() throws Exception {
        try (TestUpstream a = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes: [ { upstream: app } ]
                     upstreams:
                       app:
                         endpoints: [ { address: "http://${UP1}/base" } ]
                         health_check: { path: /healthz, interval: 100ms }
                     """, TestUpstream.env(a))) {
            TestUpstream.Received check = a.next();
            assertThat(check.uri()).isEqualTo("/healthz");
            assertThat(check.header("Host")).isEqualTo(a.address());
        }
    }
}
