package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.balance.Endpoint;
import io.sluice.upstream.Upstream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code sticky} insert and learn modes against real upstreams, with endpoints going out and coming back. */
class StickySessionsTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(SluiceUnderTest sluice, String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(sluice.uri("main", path)).timeout(Duration.ofSeconds(60));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
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

    private static String config(String sticky) {
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes: [ { upstream: app } ]
                upstreams:
                  app:
                    balancer: round_robin
                    endpoints: [ { address: "${UP1}" }, { address: "${UP2}" }, { address: "${UP3}" } ]
                """ + sticky;
    }

    private static String cookieValue(HttpResponse<?> r, String name) {
        for (String c : r.headers().allValues("Set-Cookie")) {
            if (c.startsWith(name + "=")) {
                return c.substring(name.length() + 1, c.indexOf(';'));
            }
        }
        return null;
    }

    @Test
    void insertModePinsAClientToItsEndpointAndMovesItWhenTheEndpointGoesOut() throws Exception {
        try (TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             TestUpstream c = TestUpstream.start("c");
             SluiceUnderTest sluice = SluiceUnderTest.start(config("""
                         sticky: { cookie: SLUICE_ROUTE, ttl: 1h }
                     """), TestUpstream.env(a, b, c))) {
            HttpResponse<String> first = get(sluice, "/", null);
            String home = first.body().trim();
            List<String> setCookie = first.headers().allValues("Set-Cookie");
            assertThat(setCookie).hasSize(1);
            assertThat(setCookie.get(0)).matches("SLUICE_ROUTE=[0-9a-f]{16}; Path=/; Max-Age=3600; HttpOnly");
            String token = cookieValue(first, "SLUICE_ROUTE");
            assertThat(setCookie.get(0)).doesNotContain("127.0.0.1");
            for (int i = 0; i < 6; i++) { // round robin would move it; the cookie keeps it
                HttpResponse<String> again = get(sluice, "/", "x=1; SLUICE_ROUTE=" + token);
                assertThat(again.body().trim()).isEqualTo(home);
                assertThat(again.headers().allValues("Set-Cookie")).isEmpty();
            }
            TestUpstream homeServer = home.equals("a") ? a : home.equals("b") ? b : c;
            endpoint(sluice, homeServer.address()).setOut(Endpoint.DRAINED, true);
            HttpResponse<String> moved = get(sluice, "/", "SLUICE_ROUTE=" + token);
            String newHome = moved.body().trim();
            assertThat(newHome).isNotEqualTo(home);
            String newToken = cookieValue(moved, "SLUICE_ROUTE");
            assertThat(newToken).isNotNull().isNotEqualTo(token);
            for (int i = 0; i < 4; i++) {
                assertThat(get(sluice, "/", "SLUICE_ROUTE=" + newToken).body().trim()).isEqualTo(newHome);
            }
            endpoint(sluice, homeServer.address()).setOut(Endpoint.DRAINED, false);
            // Back in service: the old cookie finds its endpoint again, the new one stays where it is.
            assertThat(get(sluice, "/", "SLUICE_ROUTE=" + token).body().trim()).isEqualTo(home);
            assertThat(get(sluice, "/", "SLUICE_ROUTE=" + newToken).body().trim()).isEqualTo(newHome);
            // An unknown token is ignored: the balancer picks and the cookie is set.
            assertThat(cookieValue(get(sluice, "/", "SLUICE_ROUTE=0000000000000000"), "SLUICE_ROUTE")).isNotNull();
        }
    }

    @Test
    void learnModeBindsTheApplicationsSessionCookieToTheEndpointThatSetIt() throws Exception {
        com.sun.net.httpserver.HttpHandler app = exchange -> {
            String me = exchange.getLocalAddress().getPort() + "";
            if (exchange.getRequestURI().getPath().equals("/login")) {
                exchange.getResponseHeaders().add("Set-Cookie", "theme=dark; Path=/");
                exchange.getResponseHeaders().add("Set-Cookie", "JSESSIONID=s-" + me + "; Path=/; HttpOnly");
            }
            byte[] body = me.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        };
        try (TestUpstream a = TestUpstream.start("a", app); TestUpstream b = TestUpstream.start("b", app);
             TestUpstream c = TestUpstream.start("c", app)) {
            String yaml = config("""
                        sticky: { learn: cookie:JSESSIONID, ttl: 10m }
                    """);
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(a, b, c))) {
                HttpResponse<String> login = get(sluice, "/login", null);
                String session = cookieValue(login, "JSESSIONID");
                String home = login.body();
                assertThat(session).isEqualTo("s-" + home);
                assertThat(login.headers().allValues("Set-Cookie")).hasSize(2); // nothing added in learn mode
                for (int i = 0; i < 6; i++) {
                    assertThat(get(sluice, "/page", "JSESSIONID=" + session).body()).isEqualTo(home);
                }
                // A session nobody set is balanced as usual.
                java.util.Set<String> seen = new java.util.HashSet<>();
                for (int i = 0; i < 3; i++) {
                    seen.add(get(sluice, "/page", "JSESSIONID=unknown").body());
                }
                assertThat(seen).hasSize(3);
                // A reload that keeps the sticky settings keeps the bindings.
                sluice.reload(yaml + "    timeouts: { connect: 3s }\n", TestUpstream.env(a, b, c));
                for (int i = 0; i < 3; i++) {
                    assertThat(get(sluice, "/page", "JSESSIONID=" + session).body()).isEqualTo(home);
                }
                // Its endpoint out: the balancer picks another; a new login there binds anew.
                endpoint(sluice, "127.0.0.1:" + home).setOut(Endpoint.DRAINED, true);
                String other = get(sluice, "/page", "JSESSIONID=" + session).body();
                assertThat(other).isNotEqualTo(home);
            }
        }
    }

    @Test
    void responseHeadersApplyOnceAfterTheUpstreamsStickyStepSoLearnModeStillSeesTheSessionCookie() throws Exception {
        // The route hides the application's cookies from clients (they get their session another way) and
        // sets one of its own: the upstream's sticky step must see the answer as the endpoint sent it, and
        // the client must see the route's headers once, applied on the one path that finishes every head.
        com.sun.net.httpserver.HttpHandler app = exchange -> {
            String me = exchange.getLocalAddress().getPort() + "";
            exchange.getResponseHeaders().add("Set-Cookie", "JSESSIONID=s-" + me + "; Path=/");
            exchange.getResponseHeaders().add("X-Served-By", "app");
            byte[] body = me.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        };
        try (TestUpstream a = TestUpstream.start("a", app); TestUpstream b = TestUpstream.start("b", app);
             TestUpstream c = TestUpstream.start("c", app);
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - name: main
                         address: 127.0.0.1:0
                         routes:
                           - upstream: app
                             response_headers: { set: { X-Served-By: sluice, Set-Cookie: "banner=1; Path=/" } }
                     upstreams:
                       app:
                         balancer: round_robin
                         endpoints: [ { address: "${UP1}" }, { address: "${UP2}" }, { address: "${UP3}" } ]
                         sticky: { learn: cookie:JSESSIONID, ttl: 10m }
                     """, TestUpstream.env(a, b, c))) {
            HttpResponse<String> first = get(sluice, "/login", null);
            String home = first.body();
            assertThat(first.headers().allValues("X-Served-By")).containsExactly("sluice");
            assertThat(first.headers().allValues("Set-Cookie")).containsExactly("banner=1; Path=/");
            for (int i = 0; i < 6; i++) { // the binding was learnt from the endpoint's own answer
                assertThat(get(sluice, "/page", "JSESSIONID=s-" + home).body()).isEqualTo(home);
            }
        }
    }
}
