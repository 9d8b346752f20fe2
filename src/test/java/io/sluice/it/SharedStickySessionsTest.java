package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code sticky.learn} with {@code store: redis}: two Sluice instances share the bindings in a real Redis; while
 * Redis is away requests are balanced and served, and once it is back bindings are shared again, no restart.
 */
class SharedStickySessionsTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes: [ { upstream: app } ]
            upstreams:
              app:
                balancer: round_robin
                endpoints: [ { address: "${UP1}" }, { address: "${UP2}" } ]
                sticky: { learn: cookie:JSESSIONID, store: redis, ttl: 10m }
            redis: { address: "redis://127.0.0.1:${REDIS_PORT}", timeout: 250ms }
            """;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * An application that starts a session on /login (JSESSIONID=s-PORT), answers its own port, and on /echo its
     * port and the request body.
     */
    private static final com.sun.net.httpserver.HttpHandler APP = exchange -> {
        String me = Integer.toString(exchange.getLocalAddress().getPort());
        if (exchange.getRequestURI().getPath().equals("/login")) {
            exchange.getResponseHeaders().add("Set-Cookie", "JSESSIONID=s-" + me + "; Path=/; HttpOnly");
        }
        String echo = exchange.getRequestURI().getPath().equals("/echo")
                ? " " + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8) : "";
        byte[] body = (me + echo).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    };

    private HttpResponse<String> get(SluiceUnderTest sluice, String path, String session) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(sluice.uri("main", path)).timeout(Duration.ofSeconds(30));
        if (session != null) {
            b.header("Cookie", "theme=dark; JSESSIONID=" + session);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Where {@code n} requests of {@code session} through {@code sluice} went (each must be served). */
    private Set<String> servedBy(SluiceUnderTest sluice, String session, int n) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = get(sluice, "/page", session);
            assertThat(r.statusCode()).isEqualTo(200);
            seen.add(r.body());
        }
        return seen;
    }

    /** Logs in through {@code sluice}: the session the application started, named by the port that started it. */
    private String login(SluiceUnderTest sluice) throws Exception {
        HttpResponse<String> r = get(sluice, "/login", null);
        assertThat(r.statusCode()).isEqualTo(200);
        return "s-" + r.body();
    }

    private static String home(String session) {
        return session.substring("s-".length());
    }

    @Test
    void twoInstancesRouteASessionAlikeAndServeThroughARedisThatGoesAwayAndComesBack() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TestUpstream up1 = TestUpstream.start("1", APP); TestUpstream up2 = TestUpstream.start("2", APP)) {
            Map<String, String> env = new HashMap<>(TestUpstream.env(up1, up2));
            env.put("REDIS_PORT", Integer.toString(redis.port()));
            try (SluiceUnderTest a = SluiceUnderTest.start(YAML, env); SluiceUnderTest b = SluiceUnderTest.start(YAML, env)) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        a.sluice().sharedStoreConnected() && b.sluice().sharedStoreConnected());

                // Learnt through A, honoured by B: round robin would alternate, the binding holds every request.
                String session = login(a);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        servedBy(b, session, 4).equals(Set.of(home(session))));
                assertThat(servedBy(b, session, 6)).containsExactly(home(session));
                assertThat(servedBy(a, session, 6)).containsExactly(home(session));
                // A reload (SIGHUP) keeps them: they are in Redis.
                a.reload(YAML.replace("ttl: 10m }\n", "ttl: 10m }\n    timeouts: { connect: 3s }\n"), env);
                assertThat(servedBy(a, session, 4)).containsExactly(home(session));
                // A body that comes while Redis is asked is held, then sent whole to the bound endpoint.
                String text = "x".repeat(200_000);
                HttpResponse<String> posted = client.send(HttpRequest.newBuilder(b.uri("main", "/echo"))
                        .header("Cookie", "JSESSIONID=" + session).POST(HttpRequest.BodyPublishers.ofString(text))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(posted.body()).isEqualTo(home(session) + " " + text);
                // The binding names the endpoint by its configured address, under the upstream's name, with the ttl.
                try (RedisClient lettuce = RedisClient.create("redis://127.0.0.1:" + redis.port());
                     StatefulRedisConnection<String, String> c = lettuce.connect()) {
                    String key = "sluice:sticky:app:" + session;
                    assertThat(c.sync().get(key)).isEqualTo("127.0.0.1:" + home(session));
                    assertThat(c.sync().pttl(key)).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(10).toMillis());
                }

                // Redis away: nothing fails, sessions are balanced as if unbound.
                redis.down();
                Set<String> balanced = new HashSet<>();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                    balanced.addAll(servedBy(b, session, 2));
                    return balanced.size() == 2;
                });
                assertThat(servedBy(a, session, 4)).hasSize(2);

                // Redis back (empty: it keeps nothing on disk here), no restart: a binding learnt now is shared again.
                redis.up();
                Awaitility.await().atMost(Duration.ofSeconds(45)).until(() ->
                        a.sluice().sharedStoreConnected() && b.sluice().sharedStoreConnected());
                String again = login(b);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        servedBy(a, again, 4).equals(Set.of(home(again))));
                assertThat(servedBy(a, again, 6)).containsExactly(home(again));
                assertThat(servedBy(b, again, 6)).containsExactly(home(again));
            }
        }
    }
}
