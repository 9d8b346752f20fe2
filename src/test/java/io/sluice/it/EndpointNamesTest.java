package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.upstream.EndpointResolver;
import io.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Endpoints given by host name: looked up by Netty's DNS client as connections open (without blocking
 * the event loop; never at start or check time), cached per TTL; a name that does not resolve is
 * a connect failure. The DNS server of the last tests is {@link TestDnsServer}, set with
 * {@code server.resolver.nameservers}.
 */
class EndpointNamesTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger resolverLog = (Logger) LoggerFactory.getLogger(EndpointResolver.class);

    @BeforeEach
    void captureLog() {
        logged.start();
        resolverLog.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        resolverLog.detachAppender(logged);
    }

    private HttpResponse<String> get(SluiceUnderTest sluice, String listener) throws Exception {
        return client.send(HttpRequest.newBuilder(sluice.uri(listener, "/")).timeout(Duration.ofSeconds(60)).build(),
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

    private boolean loggedAbout(String host) {
        return logged.list.stream().anyMatch(e -> e.getFormattedMessage().contains("'" + host + "'"));
    }

    /** Echoes every byte back until the peer closes. */
    private static RawServer echo() throws IOException {
        return new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) != -1) {
                out.write(buf, 0, n);
            }
        });
    }

    @Test
    void localhostEndpointsServeHttpTcpAndActiveHealthChecks() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        try (TestUpstream web = TestUpstream.start("web", exchange -> {
                 boolean check = exchange.getRequestURI().getPath().equals("/healthz");
                 if (check) {
                     checks.incrementAndGet();
                 }
                 byte[] body = (check ? "ok\n" : "web\n").getBytes(StandardCharsets.UTF_8);
                 exchange.sendResponseHeaders(200, body.length);
                 try (OutputStream out = exchange.getResponseBody()) {
                     out.write(body);
                 }
             });
             RawServer echo = echo();
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - { name: main, address: 127.0.0.1:0, routes: [ { upstream: web } ] }
                       - { name: db, address: 127.0.0.1:0, protocol: tcp, upstream: echo }
                     upstreams:
                       web:
                         endpoints: [ { address: "http://localhost:${WEB}" } ]
                         health_check: { path: /healthz, interval: 100ms, timeout: 1s, unhealthy_threshold: 1 }
                       echo:
                         endpoints: [ { address: "localhost:${ECHO}" } ]
                     """, Map.of("WEB", String.valueOf(web.port()), "ECHO", String.valueOf(echo.port())))) {
            HttpResponse<String> r = get(sluice, "main");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("web\n");

            try (Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
                s.setSoTimeout(10_000);
                byte[] msg = "hello over a name\n".getBytes(StandardCharsets.US_ASCII);
                s.getOutputStream().write(msg);
                assertThat(s.getInputStream().readNBytes(msg.length)).isEqualTo(msg);
            }

            await().atMost(Duration.ofSeconds(60)).until(() -> checks.get() >= 3);
            assertThat(endpoint(sluice, "http://localhost:" + web.port()).state()).isEqualTo(EndpointState.HEALTHY);
            assertThat(logged.list).isEmpty();
        }
    }

    @Test
    void theDnsClientIsBuiltOnlyOnceSomeEndpointHasAName() throws Exception {
        String byAddress = """
                listeners:
                  - { name: main, address: 127.0.0.1:0, routes: [ { upstream: web } ] }
                upstreams:
                  web: { endpoints: [ { address: "127.0.0.1:${PORT}" } ] }
                """;
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(byAddress, Map.of("PORT", String.valueOf(up.port())))) {
            assertThat(get(sluice, "main").statusCode()).isEqualTo(200);
            assertThat(sluice.sluice().resolver().built()).as("IP addresses only: no DNS client").isFalse();

            sluice.reload(byAddress.replace("127.0.0.1:${PORT}", "localhost:${PORT}"),
                    Map.of("PORT", String.valueOf(up.port())));
            assertThat(sluice.sluice().resolver().built()).as("built by the reload, on the control thread").isTrue();
            assertThat(get(sluice, "main").statusCode()).isEqualTo(200);
            assertThat(logged.list).isEmpty();
        }
    }

    @Test
    void aNameThatDoesNotResolveIsAConnectFailure502RetriedOnAnotherEndpoint() throws Exception {
        try (TestUpstream good = TestUpstream.start("good");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     listeners:
                       - { name: main, address: 127.0.0.1:0, routes: [ { upstream: mixed } ] }
                       - { name: lost, address: 127.0.0.1:0, routes: [ { upstream: nowhere } ] }
                     upstreams:
                       mixed:
                         endpoints: [ { address: "nowhere.invalid:80" }, { address: "${UP1}" } ]
                         retry: { attempts: 1 }
                         passive: { max_failures: 1, fail_timeout: 1m }
                         timeouts: { connect: 2s }
                       nowhere:
                         endpoints: [ { address: "http://nowhere.invalid" } ]
                         timeouts: { connect: 2s }
                     """, TestUpstream.env(good))) {
            Endpoint nowhere = endpoint(sluice, "nowhere.invalid:80");
            // round robin: within two requests one lands on the name first; both get the good endpoint's answer
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> r = get(sluice, "main");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("good\n");
            }
            assertThat(nowhere.isOut(Endpoint.EJECTED)).as("the failed lookup counted as a passive failure").isTrue();

            HttpResponse<String> lost = get(sluice, "lost");
            assertThat(lost.statusCode()).isEqualTo(502);
            await().atMost(Duration.ofSeconds(60)).until(() -> loggedAbout("nowhere.invalid"));
        }
    }

    @Test
    void aNameServerThatNeverAnswersCostsNoMoreThanTheConnectTimeout() throws Exception {
        try (TestDnsServer dns = TestDnsServer.silent();
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     server:
                       resolver: { nameservers: [ "${DNS}" ], query_timeout: 1m }
                     listeners:
                       - { name: main, address: 127.0.0.1:0, routes: [ { upstream: app } ] }
                     upstreams:
                       app:
                         endpoints: [ { address: "backend.sluice.test:80" } ]
                         timeouts: { connect: 300ms }
                       checked:
                         endpoints: [ { address: "checked.sluice.test:80" } ]
                         health_check: { type: tcp, interval: 100ms, timeout: 300ms, unhealthy_threshold: 1 }
                     """, Map.of("DNS", dns.address()))) {
            // answered before the client gives up (45 s): bounded by timeouts.connect, not by the
            // minute-long query timeout
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(sluice.uri("main", "/"))
                    .timeout(Duration.ofSeconds(45)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(dns.allQueries()).isPositive();
            await().atMost(Duration.ofSeconds(60)).until(() -> loggedAbout("backend.sluice.test"));
            // a health check gives up on its own timeout: the endpoint goes out
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> endpoint(sluice, "checked.sluice.test:80").state() == EndpointState.UNHEALTHY);
        }
    }

    @Test
    void ipAddressesAndLocalhostAreNeverAskedOfTheNameServer() throws Exception {
        try (TestDnsServer dns = new TestDnsServer();
             TestUpstream a = TestUpstream.start("a");
             TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start("""
                     server:
                       resolver: { nameservers: [ "${DNS}" ] }
                     listeners:
                       - { name: main, address: 127.0.0.1:0, routes: [ { upstream: app } ] }
                     upstreams:
                       app:
                         endpoints: [ { address: "${UP1}" }, { address: "http://localhost:${PORT2}" } ]
                         timeouts: { idle: 100ms }
                         health_check: { interval: 100ms }
                     """, Map.of("DNS", dns.address(), "UP1", a.address(), "PORT2", String.valueOf(b.port())))) {
            for (int i = 0; i < 4; i++) {
                assertThat(get(sluice, "main").statusCode()).isEqualTo(200);
            }
            assertThat(a.receivedCount()).isPositive();
            assertThat(b.receivedCount()).isPositive();
            assertThat(dns.allQueries()).isZero();
        }
    }

    @Test
    void aChangedRecordIsUsedByNewConnectionsOnceItsTtlRunsOut() throws Exception {
        changeIsPickedUp(1, "");
    }

    @Test
    void cacheMaxTtlShortensALongTtl() throws Exception {
        changeIsPickedUp(3600, ", cache_max_ttl: 1s");
    }

    /**
     * The name first points at upstream a (127.0.0.1), then at b (127.0.0.2, same port). Requests on a pooled
     * connection look nothing up; once the answer expired, the next new connection goes to b.
     */
    private void changeIsPickedUp(int ttlSeconds, String resolverExtra) throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); TestUpstream a = TestUpstream.start("a")) {
            TestUpstream b;
            try {
                b = TestUpstream.start("b", new InetSocketAddress("127.0.0.2", a.port()));
            } catch (IOException e) {
                assumeTrue(false, "cannot listen on 127.0.0.2:" + a.port() + ": " + e);
                return;
            }
            dns.set("backend.sluice.test", "127.0.0.1", ttlSeconds);
            try (b; SluiceUnderTest sluice = SluiceUnderTest.start("""
                    server:
                      resolver: { nameservers: [ "${DNS}" ]%s }
                    listeners:
                      - { name: main, address: 127.0.0.1:0, routes: [ { upstream: app } ] }
                    upstreams:
                      app:
                        endpoints: [ { address: "backend.sluice.test:${PORT}" } ]
                    """.formatted(resolverExtra), Map.of("DNS", dns.address(), "PORT", String.valueOf(a.port())))) {
                for (int i = 0; i < 10; i++) {
                    assertThat(get(sluice, "main").body()).isEqualTo("a\n");
                }
                assertThat(dns.queries("backend.sluice.test")).as("one lookup, then the pooled connection")
                        .isEqualTo(1);

                dns.set("backend.sluice.test", "127.0.0.2", ttlSeconds);
                // A new connection is needed to see the change: a's server closing its idle one is the usual way
                a.close();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .until(() -> get(sluice, "main").body().equals("b\n"));
                assertThat(dns.queries("backend.sluice.test")).isGreaterThanOrEqualTo(2);
            }
        }
    }
}
