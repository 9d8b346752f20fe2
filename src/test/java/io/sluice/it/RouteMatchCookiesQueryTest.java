package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code match.cookies} and {@code match.query}: a route matches only with every named value exactly. */
class RouteMatchCookiesQueryTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String get(SluiceUnderTest sluice, String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(sluice.uri("main", path)).timeout(Duration.ofSeconds(60));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void cookiesAndQueryPickTheCanaryRoute() throws Exception {
        try (TestUpstream stable = TestUpstream.start("stable");
             TestUpstream canary = TestUpstream.start("canary");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes:
                           - match: { path_prefix: /shop/, cookies: { beta: "1", tier: gold } }
                             upstream: canary
                           - match: { query: { preview: "yes please" } }
                             upstream: canary
                           - upstream: stable
                     upstreams:
                       stable: { endpoints: [ { address: "${UP1}" } ] }
                       canary: { endpoints: [ { address: "${UP2}" } ] }
                     """, TestUpstream.env(stable, canary))) {
            assertThat(get(sluice, "/shop/a", "beta=1; tier=gold")).isEqualTo("canary\n");
            assertThat(get(sluice, "/shop/a", "tier=gold; other=x; beta=1")).isEqualTo("canary\n");
            assertThat(get(sluice, "/shop/a", "beta=1")).isEqualTo("stable\n");           // one missing
            assertThat(get(sluice, "/shop/a", "beta=10; tier=gold")).isEqualTo("stable\n"); // not exactly
            assertThat(get(sluice, "/shop/a", null)).isEqualTo("stable\n");
            assertThat(get(sluice, "/x?preview=yes+please", null)).isEqualTo("canary\n");
            assertThat(get(sluice, "/x?a=1&preview=yes%20please", null)).isEqualTo("canary\n");
            assertThat(get(sluice, "/x?preview=yes", null)).isEqualTo("stable\n");
            assertThat(get(sluice, "/x?previews=yes+please", null)).isEqualTo("stable\n");
            assertThat(stable.receivedCount() + canary.receivedCount()).isEqualTo(9);
        }
    }
}
