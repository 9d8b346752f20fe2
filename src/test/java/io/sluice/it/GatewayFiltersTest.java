package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpHandler;
import io.sluice.filter.TestFilters;
import io.sluice.filter.compress.Coding;
import io.sluice.filter.compress.Decoders;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The built-in filters through real sockets: rate_limit, concurrency_limit, body_limit, ip_filter, rewrite. */
class GatewayFiltersTest {

    /** An upstream that holds each request until {@code release} opens, counting arrivals. */
    private static HttpHandler holding(CountDownLatch release, AtomicInteger arrived) {
        return exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            arrived.incrementAndGet();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] ok = ("ok " + exchange.getRequestURI() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, ok.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ok);
            }
        };
    }

    private static String limited(int max) {
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    filters: [ { test_count: {} } ]
                    routes:
                      - name: api
                        filters:
                          - concurrency_limit: { max: %d, queue: 1, queue_timeout: 30s }
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """.formatted(max);
    }

    private static CompletableFuture<RawHttp.Response> getAsync(RawHttp client, String path) throws Exception {
        client.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
        return CompletableFuture.supplyAsync(() -> {
            try {
                return client.read();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void rateLimitAnswers429WithRetryAfterAndNothingReachesTheUpstream() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters:
                          - rate_limit: { key: "header:X-Key", rate: 1/m, burst: 2 }
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            for (int i = 0; i < 2; i++) {
                client.send("GET /a HTTP/1.1\r\nHost: h\r\nX-Key: k\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            client.send("GET /refused HTTP/1.1\r\nHost: h\r\nX-Key: k\r\nX-Request-ID: rl-3\r\n\r\n");
            RawHttp.Response refused = client.read();
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.header("Retry-After")).matches("[1-9][0-9]*");
            assertThat(refused.header("X-Request-ID")).isEqualTo("rl-3");
            assertThat(refused.bodyText()).startsWith("429 Too Many Requests");
            client.send("GET /other-key HTTP/1.1\r\nHost: h\r\nX-Key: other\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(app.next().uri()).isEqualTo("/a");
            assertThat(app.next().uri()).isEqualTo("/a");
            assertThat(app.next().uri()).isEqualTo("/other-key"); // the refused one never arrived
        }
    }

    @Test
    void concurrencyLimitQueuesRefusesWhenFullAndAdmitsInOrder() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger arrived = new AtomicInteger();
        try (TestUpstream app = TestUpstream.start("app", holding(release, arrived));
             SluiceUnderTest sluice = SluiceUnderTest.start(limited(1), TestUpstream.env(app));
             RawHttp c1 = new RawHttp(sluice.port("main")); RawHttp c2 = new RawHttp(sluice.port("main"));
             RawHttp c3 = new RawHttp(sluice.port("main"))) {
            CompletableFuture<RawHttp.Response> first = getAsync(c1, "/1");
            await().atMost(Duration.ofSeconds(60)).until(() -> arrived.get() == 1);
            int counted = TestFilters.COUNTED.get();
            CompletableFuture<RawHttp.Response> second = getAsync(c2, "/2");
            await().atMost(Duration.ofSeconds(60)).until(() -> TestFilters.COUNTED.get() > counted); // queued
            c3.send("GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response third = c3.read(); // the queue (1) is full
            assertThat(third.status()).isEqualTo(503);
            assertThat(arrived.get()).isEqualTo(1);
            release.countDown();
            assertThat(first.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(second.get(60, TimeUnit.SECONDS).bodyText()).isEqualTo("ok /2\n");
        }
    }

    @Test
    void aClientThatLeavesTheQueueFreesItsPlace() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger arrived = new AtomicInteger();
        try (TestUpstream app = TestUpstream.start("app", holding(release, arrived));
             SluiceUnderTest sluice = SluiceUnderTest.start(limited(1), TestUpstream.env(app));
             RawHttp c1 = new RawHttp(sluice.port("main"))) {
            CompletableFuture<RawHttp.Response> first = getAsync(c1, "/1");
            await().atMost(Duration.ofSeconds(60)).until(() -> arrived.get() == 1);
            RawHttp leaving = new RawHttp(sluice.port("main"));
            int counted = TestFilters.COUNTED.get();
            leaving.send("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
            await().atMost(Duration.ofSeconds(60)).until(() -> TestFilters.COUNTED.get() > counted); // queued
            leaving.close();
            // The place the leaving client held comes free: the next client is queued, not refused. (A probe
            // answered at once got 503: the proxy has not seen the leaving client go yet; a probe that closes
            // would take the place again until the proxy sees it go, so the one queued stays as the third.)
            RawHttp third = await().atMost(Duration.ofSeconds(60)).until(() -> {
                RawHttp probe = new RawHttp(sluice.port("main"));
                probe.send("GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
                probe.socket().setSoTimeout(300);
                try {
                    RawHttp.Response refused = probe.read();
                    probe.close();
                    assertThat(refused.status()).isEqualTo(503);
                    return null;
                } catch (java.net.SocketTimeoutException queued) {
                    probe.socket().setSoTimeout(60_000);
                    return probe;
                }
            }, java.util.Objects::nonNull);
            release.countDown();
            assertThat(first.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
            try (third) {
                RawHttp.Response r = third.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("ok /3\n");
            }
        }
    }

    @Test
    void aReloadInTheMiddleOfAQueueKeepsItAndAppliesTheNewMax() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger arrived = new AtomicInteger();
        try (TestUpstream app = TestUpstream.start("app", holding(release, arrived));
             SluiceUnderTest sluice = SluiceUnderTest.start(limited(1), TestUpstream.env(app));
             RawHttp c1 = new RawHttp(sluice.port("main")); RawHttp c2 = new RawHttp(sluice.port("main"))) {
            CompletableFuture<RawHttp.Response> first = getAsync(c1, "/1");
            await().atMost(Duration.ofSeconds(60)).until(() -> arrived.get() == 1);
            int counted = TestFilters.COUNTED.get();
            CompletableFuture<RawHttp.Response> second = getAsync(c2, "/2");
            await().atMost(Duration.ofSeconds(60)).until(() -> TestFilters.COUNTED.get() > counted); // queued
            sluice.reload(limited(2), TestUpstream.env(app)); // the queued request stays queued, then max 2 admits it
            await().atMost(Duration.ofSeconds(60)).until(() -> arrived.get() == 2);
            assertThat(first).isNotDone();
            release.countDown();
            assertThat(first.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(second.get(60, TimeUnit.SECONDS).bodyText()).isEqualTo("ok /2\n");
        }
    }

    @Test
    void bodyLimitRefusesLargeBodiesBeforeAndWhileTheyArrive() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { body_limit: { max: 1KiB } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app))) {
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("POST /declared HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n");
                RawHttp.Response r = client.read();
                assertThat(r.status()).isEqualTo(413);
                assertThat(r.bodyText()).contains("larger than 1KiB");
            }
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                String chunk = "x".repeat(600);
                client.send("POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(600) + "\r\n" + chunk + "\r\n");
                client.send(Integer.toHexString(600) + "\r\n" + chunk + "\r\n");
                RawHttp.Response r = client.read();
                assertThat(r.status()).isEqualTo(413);
                assertThat(r.header("Connection")).isEqualTo("close");
            }
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
                assertThat(client.read().status()).isEqualTo(200);
            }
            TestUpstream.Received received = app.next();
            while (!received.uri().equals("/small")) {
                assertThat(received.uri()).isNotEqualTo("/declared");
                received = app.next();
            }
            assertThat(received.bodyText()).isEqualTo("hello");
        }
    }

    @Test
    void aDeclaredBodyFarOverBodyLimitGets413ThenAnOrderlyClose() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { body_limit: { max: 1KiB } } ]
                        respond: { status: 200, body: "ok\\n" }
                """;
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml); RawHttp client = new RawHttp(sluice.port("main"))) {
            int length = 8 << 20; // more than the proxy reads and drops after an answer
            // the client sends it all without waiting (no Expect), as curl or a browser does, and reads after
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                try {
                    client.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: " + length + "\r\n\r\n");
                    byte[] block = new byte[64 * 1024];
                    for (int sent = 0; sent < length; sent += block.length) {
                        client.send(block);
                    }
                    client.socket().shutdownOutput(); // done sending
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(r.bodyText()).contains("larger than 1KiB");
            upload.get(60, TimeUnit.SECONDS); // the proxy read the whole body: no reset cut the upload short
            assertThat(client.readBytes(1)).isEmpty(); // then end of stream, not a reset
        }
    }

    @Test
    void apiKeyAndCorsInFrontOfAnUpstream(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("keys.txt"), "k-1\n");
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters:
                          - cors: { allow_origins: ["https://app.example"], expose_headers: [X-Upstream] }
                          - api_key: { keys_file: "${KEYS}" }
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        Map<String, String> env = new java.util.HashMap<>(Map.of("KEYS", dir.resolve("keys.txt").toString()));
        try (TestUpstream app = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, merged(env, TestUpstream.env(app)))) {
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                // a browser's preflight carries no key: cors, first in the chain, answers it
                client.send("OPTIONS /orders HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example\r\n"
                        + "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-api-key\r\n\r\n");
                RawHttp.Response preflight = client.read();
                assertThat(preflight.status()).isEqualTo(204);
                assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
                assertThat(preflight.header("Access-Control-Allow-Headers")).isEqualTo("x-api-key");
                assertThat(preflight.header("X-Request-ID")).isNotEmpty();

                client.send("GET /orders HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example\r\n\r\n");
                RawHttp.Response noKey = client.read();
                assertThat(noKey.status()).isEqualTo(401);
                assertThat(noKey.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example"); // the page may read why

                client.send("GET /orders HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example\r\nX-API-Key: k-1\r\n\r\n");
                RawHttp.Response ok = client.read();
                assertThat(ok.status()).isEqualTo(200);
                assertThat(ok.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
                assertThat(ok.header("Access-Control-Expose-Headers")).isEqualTo("X-Upstream");
                assertThat(ok.header("Vary")).isEqualTo("Origin");
            }
            TestUpstream.Received got = app.next(); // the only request that reached it
            assertThat(got.uri()).isEqualTo("/orders");
            assertThat(got.header("X-API-Key")).isNull();
            assertThat(app.receivedCount()).isZero();
        }
    }

    private static final String API_KEY_IN_QUERY = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - filters: [ { api_key: { keys_file: "${KEYS}", query: api_key } } ]
                    upstream: app
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
            """;

    @Test
    void apiKeyInTheQueryNeverReachesTheUpstreamBehindASemicolon(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("keys.txt"), "GOOD\n");
        Map<String, String> env = Map.of("KEYS", dir.resolve("keys.txt").toString());
        try (TestUpstream app = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(API_KEY_IN_QUERY, merged(env, TestUpstream.env(app)));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            // ';' is no separator where the key is taken out: before, it was one where the key was read,
            // so this key was accepted and went on to the upstream
            client.send("GET /x?a=1;api_key=GOOD HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(401);
            client.send("GET /x?a=1&api_key=GOOD HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(app.next().uri()).isEqualTo("/x?a=1"); // the only request that reached it
            assertThat(app.receivedCount()).isZero();
        }
    }

    @Test
    void apiKeyInTheQueryWithABadEscapeIsABadRequestAndTheKeyIsNotLogged(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("keys.txt"), "GOOD\n");
        Map<String, String> env = Map.of("KEYS", dir.resolve("keys.txt").toString());
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        logged.start();
        root.addAppender(logged);
        try (TestUpstream app = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(API_KEY_IN_QUERY, merged(env, TestUpstream.env(app)));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            // before: the decoder failed on the whole query, 500, and its message (the URI, key and all) was logged
            client.send("GET /x?api_key=SECRET-1&q=% HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(401); // q is the upstream's business; this key is unknown
            client.send("GET /x?api_key=SECRET-2%zz HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(400);
            assertThat(app.receivedCount()).isZero();
        } finally {
            root.detachAppender(logged);
        }
        assertThat(logged.list).allSatisfy(event -> {
            assertThat(event.getFormattedMessage()).doesNotContain("SECRET");
            if (event.getThrowableProxy() != null) {
                assertThat(ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(event.getThrowableProxy()))
                        .doesNotContain("SECRET");
            }
        });
    }

    @Test
    void corsWithAListOfOriginsVariesOnOriginEvenWhenItAddsNothing() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { cors: { allow_origins: ["https://app.example"] } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            // a cache that kept one of these copies without Vary would hand it to https://app.example, CORS-less
            client.send("GET /page HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response noOrigin = client.read();
            assertThat(noOrigin.header("Access-Control-Allow-Origin")).isNull();
            assertThat(noOrigin.header("Vary")).isEqualTo("Origin");
            client.send("GET /page HTTP/1.1\r\nHost: h\r\nOrigin: https://other.example\r\n\r\n");
            RawHttp.Response other = client.read();
            assertThat(other.header("Access-Control-Allow-Origin")).isNull();
            assertThat(other.header("Vary")).isEqualTo("Origin");
            client.send("GET /page HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example\r\n\r\n");
            RawHttp.Response listed = client.read();
            assertThat(listed.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
            assertThat(listed.header("Vary")).isEqualTo("Origin");
        }
    }

    @Test
    void forwardAuthAsksTheAuthServiceAndPassesItsAnswerOn() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - match: { path_prefix: /slow }
                        filters: [ { forward_auth: { url: "http://${UP2}/slow-check", timeout: 300ms } } ]
                        upstream: app
                      - filters:
                          - forward_auth: { url: "http://${UP2}/check", response_headers: [X-User] }
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app");
             TestUpstream auth = TestUpstream.start("auth", exchange -> {
                 if (exchange.getRequestURI().getPath().equals("/slow-check")) {
                     try {
                         never.await(20, TimeUnit.SECONDS); // answers only after the proxy gave up
                     } catch (InterruptedException e) {
                         Thread.currentThread().interrupt();
                     }
                 }
                 boolean good = "Bearer good".equals(exchange.getRequestHeaders().getFirst("Authorization"));
                 byte[] body = (good ? "" : "who are you?\n").getBytes(StandardCharsets.UTF_8);
                 if (good) {
                     exchange.getResponseHeaders().set("X-User", "alice");
                 } else {
                     exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"api\"");
                 }
                 exchange.sendResponseHeaders(good ? 200 : 401, body.length == 0 ? -1 : body.length);
                 exchange.getResponseBody().write(body);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app, auth))) {
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("GET /orders?id=7 HTTP/1.1\r\nHost: shop.example\r\nAuthorization: Bearer bad\r\n"
                        + "X-User: mallory\r\n\r\n");
                RawHttp.Response refused = client.read();
                assertThat(refused.status()).isEqualTo(401);
                assertThat(refused.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"api\"");
                assertThat(refused.bodyText()).isEqualTo("who are you?\n");
                TestUpstream.Received asked = auth.next();
                assertThat(asked.method()).isEqualTo("GET");
                assertThat(asked.header("Authorization")).isEqualTo("Bearer bad");
                assertThat(asked.header("X-Forwarded-Method")).isEqualTo("GET");
                assertThat(asked.header("X-Forwarded-Uri")).isEqualTo("/orders?id=7");
                assertThat(asked.header("X-Forwarded-Host")).isEqualTo("shop.example");
                assertThat(asked.header("X-Forwarded-Proto")).isEqualTo("http");
                assertThat(asked.header("X-Forwarded-For")).isEqualTo("127.0.0.1");

                client.send("GET /orders HTTP/1.1\r\nHost: shop.example\r\nAuthorization: Bearer good\r\n"
                        + "X-User: mallory\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
                auth.next();
                TestUpstream.Received forwarded = app.next(); // the only request that reached the app
                assertThat(forwarded.header("X-User")).isEqualTo("alice");
                assertThat(forwarded.headerValues("X-User")).hasSize(1);

                client.send("GET /slow HTTP/1.1\r\nHost: shop.example\r\nAuthorization: Bearer good\r\n\r\n");
                RawHttp.Response late = client.read();
                assertThat(late.status()).isEqualTo(503);
                assertThat(late.bodyText()).contains("the auth service did not answer in time");
            } finally {
                never.countDown();
            }
            assertThat(app.receivedCount()).isZero();
        }
    }

    @Test
    void forwardAuthIsToldTheUriTheClientSentNotTheStrippedOne() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - match: { path_prefix: /admin/ }
                        strip_prefix: /admin
                        filters: [ { forward_auth: { url: "http://${UP2}/check" } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app"); TestUpstream auth = TestUpstream.start("auth");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app, auth));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /admin/users?id=7 HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            // the auth service decides on what the client asked for: /users alone would not say "admin"
            assertThat(auth.next().header("X-Forwarded-Uri")).isEqualTo("/admin/users?id=7");
            assertThat(app.next().uri()).isEqualTo("/users?id=7");
        }
    }

    /** A server that reads a request, sends {@code head} and then nothing more, until the other side goes away. */
    private static RawServer stallingAfter(String head) throws java.io.IOException {
        return new RawServer((socket, index) -> {
            RawServer.readHead(socket.getInputStream());
            socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            socket.setSoTimeout(0);
            while (socket.getInputStream().read() != -1) {
                // holds the connection open without a byte more; the test's end closes it
            }
        });
    }

    @Test
    void forwardAuthGivesUpOnAnAnswerThatStallsAfterItsHead() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { forward_auth: { url: "http://${AUTH}/check", timeout: 300ms } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app");
             RawServer auth = stallingAfter("HTTP/1.1 401 Unauthorized\r\nContent-Length: 50\r\n\r\nwho");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml,
                     merged(Map.of("AUTH", auth.address()), TestUpstream.env(app)));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /orders HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response late = client.read(); // before: no answer ever (the timeout ended with the head)
            assertThat(late.status()).isEqualTo(503);
            assertThat(late.bodyText()).contains("the auth service did not answer in time");
            assertThat(app.receivedCount()).isZero();
        }
    }

    @Test
    void jwtWithKeysFetchedFromAUrl() throws Exception {
        com.nimbusds.jose.jwk.RSAKey key = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate();
        byte[] jwks = new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { jwt: { jwks_url: "http://${UP2}/jwks.json", claims_to_headers: { sub: X-User } } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        String token = bobsToken(key);
        try (TestUpstream app = TestUpstream.start("app");
             TestUpstream keys = TestUpstream.start("keys", exchange -> {
                 exchange.getResponseHeaders().set("Content-Type", "application/json");
                 exchange.sendResponseHeaders(200, jwks.length);
                 exchange.getResponseBody().write(jwks);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app, keys))) {
            assertThat(keys.next().uri()).isEqualTo("/jwks.json"); // fetched at load, in the background
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> {
                try (RawHttp client = new RawHttp(sluice.port("main"))) {
                    client.send("GET /me HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + token + "\r\n\r\n");
                    assertThat(client.read().status()).isEqualTo(200);
                }
            });
            assertThat(app.next().header("X-User")).isEqualTo("bob");
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("GET /me HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + token + "x\r\n\r\n");
                RawHttp.Response bad = client.read();
                assertThat(bad.status()).isEqualTo(401);
                assertThat(bad.header("WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\"");
            }
            assertThat(app.receivedCount()).isZero();
        }
    }

    private static long listenOverflows() throws java.io.IOException {
        List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/netstat"));
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            List<String> names = List.of(lines.get(i).split(" "));
            int at = names.indexOf("ListenOverflows");
            if (at > 0) {
                return Long.parseLong(lines.get(i + 1).split(" ")[at]);
            }
        }
        throw new AssertionError("no ListenOverflows in /proc/net/netstat");
    }

    @Test
    void forwardAuthConnectsWithinTheTimeoutOfTheConfigurationInForce() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/net/netstat")), "needs Linux's count of SYNs dropped by full accept queues");
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { forward_auth: { url: "http://${AUTH}/check", timeout: %s } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        // an auth service whose accept queue (backlog 1: two connections) is full: a new connection's SYN is
        // dropped, and its connect waits for the client's retransmission (a second later)
        try (java.net.ServerSocket auth = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             java.net.Socket filler1 = new java.net.Socket(auth.getInetAddress(), auth.getLocalPort());
             java.net.Socket filler2 = new java.net.Socket(auth.getInetAddress(), auth.getLocalPort());
             TestUpstream app = TestUpstream.start("app")) {
            Map<String, String> env = merged(Map.of("AUTH", "127.0.0.1:" + auth.getLocalPort()), TestUpstream.env(app));
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml.formatted("100ms"), env);
                 RawHttp client = new RawHttp(sluice.port("main"))) {
                sluice.reload(yaml.formatted("60s"), env); // before: connects were still cut at the first 100ms
                long dropped = listenOverflows();
                client.send("GET /orders HTTP/1.1\r\nHost: h\r\n\r\n");
                await().atMost(Duration.ofSeconds(30)).until(() -> listenOverflows() > dropped); // the proxy's SYN
                auth.accept().close(); // room in the queue for the retransmitted SYN
                auth.accept().close();
                CompletableFuture<Void> answered = CompletableFuture.runAsync(() -> {
                    try (java.net.Socket asked = auth.accept()) {
                        RawServer.readHead(asked.getInputStream());
                        asked.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                                .getBytes(StandardCharsets.ISO_8859_1));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                assertThat(client.read().status()).isEqualTo(200);
                answered.get(30, TimeUnit.SECONDS);
                assertThat(app.next().uri()).isEqualTo("/orders");
            }
        }
    }

    @Test
    void jwtAcceptsAnOAuthAccessTokenTypedAtJwt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        com.nimbusds.jose.jwk.RSAKey key = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate();
        java.nio.file.Files.writeString(dir.resolve("jwks.json"),
                new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString());
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { jwt: { jwks_file: "${JWKS}", claims_to_headers: { sub: X-User } } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT( // RFC 9068: the header says typ at+jwt
                new com.nimbusds.jose.JWSHeader.Builder(com.nimbusds.jose.JWSAlgorithm.RS256).keyID("k1")
                        .type(new com.nimbusds.jose.JOSEObjectType("at+jwt")).build(),
                new com.nimbusds.jwt.JWTClaimsSet.Builder().subject("bob").claim("client_id", "shop")
                        .expirationTime(new java.util.Date(System.currentTimeMillis() + 600_000)).build());
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(key));
        try (TestUpstream app = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml,
                     merged(Map.of("JWKS", dir.resolve("jwks.json").toString()), TestUpstream.env(app)));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /me HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + jwt.serialize() + "\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200); // before: 401 invalid_token
            assertThat(app.next().header("X-User")).isEqualTo("bob");
        }
    }

    /** A route behind jwt with its keys at http://${KEYS}/jwks.json. */
    private static final String JWKS_URL_YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - filters: [ { jwt: { jwks_url: "http://${KEYS}/jwks.json" } } ]
                    upstream: app
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
            """;

    /** An RS256 token for subject bob signed by {@code key} (kid k1), valid for ten minutes. */
    private static String bobsToken(com.nimbusds.jose.jwk.RSAKey key) throws Exception {
        com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(
                new com.nimbusds.jose.JWSHeader.Builder(com.nimbusds.jose.JWSAlgorithm.RS256).keyID("k1").build(),
                new com.nimbusds.jwt.JWTClaimsSet.Builder().subject("bob")
                        .expirationTime(new java.util.Date(System.currentTimeMillis() + 600_000)).build());
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(key));
        return jwt.serialize();
    }

    @Test
    void jwtFetchesTheKeysAgainAfterAKeyServerStalledMidBody() throws Exception {
        com.nimbusds.jose.jwk.RSAKey key = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate();
        byte[] jwks = new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        String token = bobsToken(key);
        try (TestUpstream app = TestUpstream.start("app");
             RawServer keys = new RawServer((socket, index) -> {
                 RawServer.readHead(socket.getInputStream());
                 OutputStream out = socket.getOutputStream();
                 if (index == 0) { // the first fetch: a head, a piece of the body, then nothing
                     out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + jwks.length + "\r\n\r\n{\"keys\"").getBytes(StandardCharsets.ISO_8859_1));
                     out.flush();
                     socket.setSoTimeout(0);
                     while (socket.getInputStream().read() != -1) {
                         // held open until the proxy gives up on it (or the test ends)
                     }
                     return;
                 }
                 out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + jwks.length
                         + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                 out.write(jwks);
                 out.flush();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(JWKS_URL_YAML,
                     merged(Map.of("KEYS", keys.address()), TestUpstream.env(app)))) {
            // before: the stalled fetch never ended and no other was ever started: 503 for good
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                try (RawHttp client = new RawHttp(sluice.port("main"))) {
                    client.send("GET /me HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + token + "\r\n\r\n");
                    assertThat(client.read().status()).isEqualTo(200);
                }
            });
            assertThat(keys.accepted()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void jwtRefusesAJwkSetOverOneMebibyte() throws Exception {
        com.nimbusds.jose.jwk.RSAKey key = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate();
        byte[] jwks = new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        byte[] padded = java.util.Arrays.copyOf(jwks, 1024 * 1024 + 1); // a valid set, padded past the cap
        java.util.Arrays.fill(padded, jwks.length, padded.length, (byte) ' ');
        String token = bobsToken(key);
        try (TestUpstream app = TestUpstream.start("app");
             RawServer keys = new RawServer((socket, index) -> {
                 RawServer.readHead(socket.getInputStream());
                 byte[] body = index == 0 ? padded : jwks; // the first fetch gets the oversized set
                 OutputStream out = socket.getOutputStream();
                 out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                         + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                 out.write(body);
                 out.flush();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(JWKS_URL_YAML,
                     merged(Map.of("KEYS", keys.address()), TestUpstream.env(app)))) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                try (RawHttp client = new RawHttp(sluice.port("main"))) {
                    client.send("GET /me HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + token + "\r\n\r\n");
                    assertThat(client.read().status()).isEqualTo(200);
                }
            });
            assertThat(keys.accepted()).isGreaterThanOrEqualTo(2); // before: the first, oversized set was taken
        }
    }

    @Test
    void aConcurrencySlotIsHeldUntilAStaticFilesLastByteIsSent(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // larger than the socket buffers between the proxy and a client that does not read
        byte[] bytes = new byte[16 << 20];
        java.util.Arrays.fill(bytes, (byte) 'x');
        java.nio.file.Files.write(dir.resolve("big.bin"), bytes);
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { concurrency_limit: { max: 1, queue: 0 } } ]
                        static: { root: "${ROOT}" }
                """;
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("ROOT", dir.toString()))) {
            java.net.Socket slowSocket = new java.net.Socket();
            slowSocket.setReceiveBufferSize(16 * 1024); // before connecting: the window stays small
            slowSocket.connect(new java.net.InetSocketAddress("127.0.0.1", sluice.port("main")));
            try (RawHttp slow = new RawHttp(slowSocket)) {
                slow.send("GET /big.bin HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
                RawHttp.Response head = slow.readHead();
                assertThat(head.status()).isEqualTo(200);

                // the file is still being sent: its request still holds the only slot
                try (RawHttp other = new RawHttp(sluice.port("main"))) {
                    other.send("GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n");
                    assertThat(other.read(true).status()).isEqualTo(503);
                }

                assertThat(slow.readBytes(bytes.length)).hasSize(bytes.length);
                assertThat(slow.closedByServer()).isTrue(); // closed after the last write: the slot is free by now
            }
            try (RawHttp after = new RawHttp(sluice.port("main"))) {
                after.send("HEAD /big.bin HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(after.read(true).status()).isEqualTo(200);
            }
        }
    }

    @Test
    void aLargeStaticFileIsCompressedToItsLastByteInEveryCoding(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // 2 MiB of text that compresses to about three quarters: the file's chunks are still being written
        // (the client's socket full) when the exchange ends, and each must still pass through the compressor
        java.util.Random random = new java.util.Random(7);
        byte[] bytes = new byte[1536 * 1024];
        random.nextBytes(bytes);
        String text = java.util.Base64.getEncoder().encodeToString(bytes);
        java.nio.file.Files.writeString(dir.resolve("big.txt"), text);
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { compress: {} } ]
                        static: { root: "${ROOT}" }
                """;
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("ROOT", dir.toString()))) {
            for (io.sluice.filter.compress.Coding coding : io.sluice.filter.compress.Coding.values()) {
                try (RawHttp client = new RawHttp(sluice.port("main"))) {
                    client.send("GET /big.txt HTTP/1.1\r\nHost: h\r\nAccept-Encoding: " + coding.token() + "\r\n\r\n");
                    RawHttp.Response r = client.read();
                    assertThat(r.header("Content-Encoding")).isEqualTo(coding.token());
                    try (java.io.InputStream in = io.sluice.filter.compress.Decoders.decoder(coding, r.body())) {
                        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).as(coding.token()).isEqualTo(text);
                    }
                }
            }
        }
    }

    /** compress on a static route (/files/, root ${ROOT}) and on an upstream route (app at ${UP1}). */
    private static final String COMPRESS_YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /files/ }
                    strip_prefix: /files
                    filters: [ { compress: {} } ]
                    static: { root: "${ROOT}" }
                  - filters: [ { compress: {} } ]
                    upstream: app
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
            """;

    @Test
    void aNotModifiedOnACompressRouteCarriesTheVaryAndETagOfItsOk(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.writeString(dir.resolve("page.txt"), "Sluice streams bodies. ".repeat(200));
        String yaml = COMPRESS_YAML;
        try (TestUpstream app = TestUpstream.start("app", exchange -> {
                 // always unchanged; a PNG's 304 names its type, the rest do not
                 exchange.getResponseHeaders().set("ETag", "\"v1\"");
                 if (exchange.getRequestURI().getPath().equals("/png")) {
                     exchange.getResponseHeaders().set("Content-Type", "image/png");
                 }
                 exchange.sendResponseHeaders(304, -1);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, merged(Map.of("ROOT", dir.toString()),
                     TestUpstream.env(app)));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /files/page.txt HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
            RawHttp.Response ok = client.read();
            assertThat(ok.header("Content-Encoding")).isEqualTo("gzip");
            client.send("GET /files/page.txt HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nIf-None-Match: "
                    + ok.header("ETag") + "\r\n\r\n");
            RawHttp.Response fileNotModified = client.read();
            assertThat(fileNotModified.status()).isEqualTo(304);
            assertThat(fileNotModified.header("Vary")).isEqualTo(ok.header("Vary")).isEqualTo("Accept-Encoding");
            assertThat(fileNotModified.header("ETag")).isEqualTo(ok.header("ETag"));

            client.send("GET /page HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nIf-None-Match: W/\"v1\"\r\n\r\n");
            RawHttp.Response compressible = client.read();
            assertThat(compressible.status()).isEqualTo(304);
            assertThat(compressible.header("Vary")).isEqualTo("Accept-Encoding");
            assertThat(compressible.header("ETag")).isEqualTo("W/\"v1\""); // as the gzipped 200 would have it

            client.send("GET /page HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v1\"\r\n\r\n");
            RawHttp.Response identity = client.read();
            assertThat(identity.header("Vary")).isEqualTo("Accept-Encoding");
            assertThat(identity.header("ETag")).isEqualTo("\"v1\""); // its 200 would not be compressed

            client.send("GET /png HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nIf-None-Match: \"v1\"\r\n\r\n");
            RawHttp.Response png = client.read();
            assertThat(png.header("Vary")).isNull(); // a type compress leaves alone
            assertThat(png.header("ETag")).isEqualTo("\"v1\"");
        }
    }

    @Test
    void compressGzipsWhatTheClientAcceptsAndLeavesTheRest(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String text = "Sluice streams bodies. ".repeat(200);
        java.nio.file.Files.writeString(dir.resolve("page.txt"), text);
        String yaml = COMPRESS_YAML;
        try (TestUpstream app = TestUpstream.start("app", exchange -> {
                 String path = exchange.getRequestURI().getPath();
                 byte[] body = (path.equals("/small") ? "tiny" : text).getBytes(StandardCharsets.UTF_8);
                 exchange.getResponseHeaders().set("Content-Type", path.equals("/png") ? "image/png"
                         : "text/plain; charset=utf-8");
                 exchange.getResponseHeaders().set("ETag", "\"v1\"");
                 if (path.equals("/encoded")) {
                     exchange.getResponseHeaders().set("Content-Encoding", "br");
                 }
                 if (path.equals("/stream")) { // chunked, in three writes
                     exchange.sendResponseHeaders(200, 0);
                     for (int i = 0; i < 3; i++) {
                         exchange.getResponseBody().write(body, i * body.length / 3, body.length / 3 + (i == 2 ? body.length % 3 : 0));
                         exchange.getResponseBody().flush();
                     }
                 } else {
                     exchange.sendResponseHeaders(200, body.length);
                     exchange.getResponseBody().write(body);
                 }
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, merged(Map.of("ROOT", dir.toString()),
                     TestUpstream.env(app)))) {
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                for (String path : new String[] {"/text", "/stream", "/files/page.txt"}) {
                    client.send("GET " + path + " HTTP/1.1\r\nHost: h\r\nAccept-Encoding: br;q=0, gzip, deflate\r\n\r\n");
                    RawHttp.Response r = client.read();
                    assertThat(r.status()).as(path).isEqualTo(200);
                    assertThat(r.header("Content-Encoding")).as(path).isEqualTo("gzip");
                    assertThat(r.header("Content-Length")).as(path).isNull();
                    assertThat(r.header("Vary")).as(path).isEqualTo("Accept-Encoding");
                    assertThat(r.body().length).as(path).isLessThan(text.length() / 4);
                    try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                            new java.io.ByteArrayInputStream(r.body()))) {
                        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as(path).isEqualTo(text);
                    }
                }
                client.send("GET /text HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
                assertThat(client.read().header("ETag")).isEqualTo("W/\"v1\"");

                // not compressed: not accepted, too small, not a listed type, already encoded, HEAD
                String[][] plain = {
                    {"GET /text", "identity"}, {"GET /small", "gzip"}, {"GET /png", "gzip"}, {"GET /encoded", "gzip"},
                    {"HEAD /text", "gzip"}};
                for (String[] c : plain) {
                    client.send(c[0] + " HTTP/1.1\r\nHost: h\r\nAccept-Encoding: " + c[1] + "\r\n\r\n");
                    RawHttp.Response r = client.read(c[0].startsWith("HEAD"));
                    assertThat(r.header("Content-Encoding")).as(c[0]).isEqualTo(c[0].endsWith("/encoded") ? "br" : null);
                    if (c[0].startsWith("GET")) {
                        assertThat(r.header("Content-Length")).as(c[0]).isNotNull();
                    }
                }
            }
        }
    }

    @Test
    void compressSpeaksZstdAndBrotliByTheClientsChoiceAndStreams() throws Exception {
        String text = "Sluice streams bodies. ".repeat(200);
        String first = "data: the first event\n\n".repeat(60);
        String rest = "data: a later event\n\n".repeat(60);
        java.util.concurrent.Semaphore firstDecoded = new java.util.concurrent.Semaphore(0);
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { compress: {} } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app", exchange -> {
                 exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                 exchange.getResponseHeaders().set("ETag", "\"v1\"");
                 if (exchange.getRequestURI().getPath().equals("/events")) { // the rest only once the first decoded
                     exchange.sendResponseHeaders(200, 0);
                     exchange.getResponseBody().write(first.getBytes(StandardCharsets.UTF_8));
                     exchange.getResponseBody().flush();
                     try {
                         if (!firstDecoded.tryAcquire(30, TimeUnit.SECONDS)) {
                             throw new java.io.IOException("the client never decoded the first part: held back?");
                         }
                     } catch (InterruptedException e) {
                         throw new java.io.InterruptedIOException();
                     }
                     exchange.getResponseBody().write(rest.getBytes(StandardCharsets.UTF_8));
                 } else {
                     byte[] body = text.getBytes(StandardCharsets.UTF_8);
                     exchange.sendResponseHeaders(200, body.length);
                     exchange.getResponseBody().write(body);
                 }
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            // the client's q-values first, then the configured order (zstd, br, gzip) among equals
            String[][] choices = {
                {"gzip, deflate, br, zstd", "zstd"}, {"br", "br"}, {"gzip, br", "br"}, {"zstd;q=0.5, br, gzip;q=0.8", "br"},
                {"*", "zstd"}, {"zstd;q=0, *;q=0.5", "br"}, {"zstd;q=0.1, gzip", "gzip"}};
            for (String[] c : choices) {
                client.send("GET /text HTTP/1.1\r\nHost: h\r\nAccept-Encoding: " + c[0] + "\r\n\r\n");
                RawHttp.Response r = client.read();
                assertThat(r.header("Content-Encoding")).as(c[0]).isEqualTo(c[1]);
                assertThat(r.header("Content-Length")).as(c[0]).isNull();
                assertThat(r.header("Vary")).as(c[0]).isEqualTo("Accept-Encoding");
                assertThat(r.header("ETag")).as(c[0]).isEqualTo("W/\"v1\"");
                try (InputStream in = Decoders.decoder(Coding.of(c[1]), r.body())) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as(c[0]).isEqualTo(text);
                }
            }

            for (Coding coding : Coding.values()) {
                client.send("GET /events HTTP/1.1\r\nHost: h\r\nAccept-Encoding: " + coding.token() + "\r\n\r\n");
                assertThat(client.readHead().header("Content-Encoding")).isEqualTo(coding.token());
                java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                byte[] want = first.getBytes(StandardCharsets.UTF_8);
                boolean decoded = false;
                while (!decoded) { // what came so far decodes to the first part, while the rest is not sent yet
                    body.write(client.readChunk());
                    try {
                        decoded = java.util.Arrays.equals(
                                Decoders.decodedSoFar(coding, body.toByteArray(), want.length), want);
                    } catch (java.io.IOException notYet) {
                        // the first part's compressed bytes came in more than one chunk: read on
                    }
                }
                firstDecoded.release();
                for (byte[] chunk = client.readChunk(); chunk.length > 0; chunk = client.readChunk()) {
                    body.write(chunk);
                }
                try (InputStream in = Decoders.decoder(coding, body.toByteArray())) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as(coding.token())
                            .isEqualTo(first + rest);
                }
            }
        }
    }

    private static Map<String, String> merged(Map<String, String> a, Map<String, String> b) {
        Map<String, String> all = new java.util.HashMap<>(a);
        all.putAll(b);
        return all;
    }

    @Test
    void ipFilterOnTheListenerAndRewriteOnTheRoute() throws Exception {
        String yaml = """
                listeners:
                  - name: denied
                    address: 127.0.0.1:0
                    filters: [ { ip_filter: { deny: [127.0.0.0/8, "::1"] } } ]
                    routes: [ { upstream: app } ]
                  - name: allowed
                    address: 127.0.0.1:0
                    filters: [ { ip_filter: { allow: [127.0.0.1/32] } } ]
                    routes:
                      - match: { path_prefix: /v1/ }
                        filters: [ { rewrite: { path_regex: "^/v1/(.*)", replacement: "/api/v2/$1" } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app))) {
            try (RawHttp client = new RawHttp(sluice.port("denied"))) {
                client.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(403);
            }
            try (RawHttp client = new RawHttp(sluice.port("allowed"))) {
                client.send("GET /v1/items?page=2 HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
                client.send("GET /elsewhere HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(404);
            }
            assertThat(app.next().uri()).isEqualTo("/api/v2/items?page=2");
        }
    }
}
