package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.sluice.filter.TestFilters;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filter chain (the onion) through real sockets: order, answers, waiting, failures, every kind of route. */
class FilterChainTest {
    @TempDir
    Path dir;

    private static final String CONFIG = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                filters:
                  - test_tag: { name: L }
                routes:
                  - name: api
                    match: { path_prefix: /api/ }
                    filters:
                      - test_tag: { name: A }
                      - test_tag: { name: B }
                    upstream: app
                  - name: fixed
                    match: { path_prefix: /fixed }
                    filters: [ { test_tag: { name: F } } ]
                    respond: { status: 200, body: "fixed\\n" }
                  - name: files
                    match: { path_prefix: /files/ }
                    strip_prefix: /files
                    filters: [ { test_tag: { name: S } } ]
                    static: { root: "${ROOT}" }
                  - name: broken
                    match: { path_prefix: /broken-request }
                    filters:
                      - test_tag: { name: X }
                      - test_throw: {}
                      - test_tag: { name: never }
                    upstream: app
                  - name: broken-later
                    match: { path_prefix: /failed-stage }
                    filters: [ { test_throw: { on: later } } ]
                    upstream: app
                  - name: broken-response
                    match: { path_prefix: /broken-response }
                    filters: [ { test_throw: { on: response } }, { test_tag: { name: R } } ]
                    upstream: app
                  - name: slow
                    match: { path_prefix: /slow }
                    filters: [ { test_wait: { delay: 200ms } }, { test_body: {} } ]
                    upstream: app
                  - name: waiting
                    match: { path_prefix: /waiting }
                    filters: [ { test_wait: { delay: 60s } } ]
                    upstream: app
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
            """;

    private SluiceUnderTest start(TestUpstream app) throws Exception {
        Path root = Files.createDirectories(dir.resolve("public"));
        Files.writeString(root.resolve("hello.txt"), "hello\n");
        Map<String, String> env = new java.util.HashMap<>(TestUpstream.env(app));
        env.put("ROOT", root.toString());
        return SluiceUnderTest.start(CONFIG, env);
    }

    @Test
    void runsInOrderOnTheRequestAndInReverseOnTheResponse() throws Exception {
        try (TestUpstream app = TestUpstream.start("app"); SluiceUnderTest sluice = start(app);
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /api/x HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(app.next().header("X-Order")).isEqualTo("L,A,B");
            assertThat(r.header("X-Order")).isEqualTo("B,A,L");
        }
    }

    @Test
    void respondStaticAndNotFoundPassTheFiltersToo() throws Exception {
        try (TestUpstream app = TestUpstream.start("app"); SluiceUnderTest sluice = start(app);
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /fixed HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response fixed = client.read();
            assertThat(fixed.bodyText()).isEqualTo("fixed\n");
            assertThat(fixed.header("X-Order")).isEqualTo("F,L");

            client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response file = client.read();
            assertThat(file.bodyText()).isEqualTo("hello\n");
            assertThat(file.header("X-Order")).isEqualTo("S,L");

            client.send("GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response missing = client.read();
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.header("X-Order")).isEqualTo("L"); // the listener's filters see requests no route takes
        }
    }

    @Test
    void aFailingFilterIsLoggedByTypeAndExceptionNotByAMessageQuotingTheRequest() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                io.sluice.filter.FilterRun.class);
        logged.start();
        log.addAppender(logged);
        try (TestUpstream app = TestUpstream.start("app"); SluiceUnderTest sluice = start(app);
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /broken-request?api_key=SECRET HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(500);
        } finally {
            log.detachAppender(logged);
        }
        ch.qos.logback.classic.spi.ILoggingEvent warned = logged.list.stream()
                .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN).findFirst().orElseThrow();
        assertThat(warned.getFormattedMessage()).contains("filter 'test_throw'").contains("route 'broken'")
                .contains("java.lang.IllegalStateException").doesNotContain("SECRET"); // the message quoted the URI
        assertThat(warned.getThrowableProxy()).isNull();
    }

    @Test
    void aFilterThatThrowsAnswers500AndTheConnectionCarriesOn() throws Exception {
        try (TestUpstream app = TestUpstream.start("app"); SluiceUnderTest sluice = start(app);
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /broken-request HTTP/1.1\r\nHost: h\r\nX-Request-ID: broken-1\r\n\r\n");
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.bodyText()).contains("a filter failed");
            assertThat(r.header("X-Request-ID")).isEqualTo("broken-1");
            assertThat(r.header("X-Order")).isEqualTo("X,L"); // those before it see the answer, not those after

            client.send("GET /failed-stage HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(500);

            client.send("GET /broken-response HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response skipped = client.read();
            assertThat(skipped.status()).isEqualTo(200); // a filter failing on the response is skipped
            assertThat(skipped.header("X-Order")).isEqualTo("R,L");

            client.send("GET /api/after HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200); // same connection
            assertThat(app.next().uri()).isEqualTo("/broken-response");
        }
    }

    /**
     * While a filter waits 200 ms, a 10 MiB upload keeps coming: the proxy stops reading (memory stays far
     * below the body's size), then forwards all of it, intact.
     */
    @Test
    void aWaitingFilterHoldsTheUploadWithinABoundAndForwardsItIntact() throws Exception {
        byte[] body = new byte[10 * 1024 * 1024];
        new java.util.Random(13).nextBytes(body);
        CompletableFuture<String> digestUpstream = new CompletableFuture<>();
        try (TestUpstream app = TestUpstream.start("app", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                digestUpstream.complete(sha256(in.readAllBytes()));
            }
            byte[] ok = "ok\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, ok.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ok);
            }
        }); SluiceUnderTest sluice = start(app); Socket socket = new Socket("127.0.0.1", sluice.port("main"))) {
            ByteBufAllocatorMetricProvider alloc = (ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT;
            long before = alloc.metric().usedDirectMemory() + alloc.metric().usedHeapMemory();
            int waitsBefore = TestFilters.WAITS_DONE.get();
            AtomicLong peak = new AtomicLong();
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(("POST /slow HTTP/1.1\r\nHost: h\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < body.length; i += 64 * 1024) {
                        out.write(body, i, Math.min(64 * 1024, body.length - i));
                    }
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // Sample the allocator while the filter waits (its wait ends after 200 ms)
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> {
                long used = alloc.metric().usedDirectMemory() + alloc.metric().usedHeapMemory() - before;
                peak.accumulateAndGet(used, Math::max);
                return TestFilters.WAITS_DONE.get() > waitsBefore;
            });
            RawHttp client = new RawHttp(socket);
            RawHttp.Response r = client.read();
            upload.join();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("X-Body-Seen")).isEqualTo(Integer.toString(body.length)); // the body filter saw it all
            assertThat(digestUpstream.get()).isEqualTo(sha256(body));
            assertThat(peak.get()).as("memory the proxy held while the filter waited").isLessThan(4 * 1024 * 1024);
        }
    }

    @Test
    void aClientThatLeavesWhileAFilterWaitsIsForgottenAndNothingGoesUpstream() throws Exception {
        try (TestUpstream app = TestUpstream.start("app"); SluiceUnderTest sluice = start(app)) {
            int endsBefore = TestFilters.ENDS.get();
            RawHttp leaving = new RawHttp(sluice.port("main"));
            leaving.send("POST /waiting HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial");
            leaving.close();
            await().atMost(Duration.ofSeconds(60)).until(() -> TestFilters.ENDS.get() > endsBefore); // long before its 60 s wait
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("GET /api/next HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            assertThat(app.next().uri()).isEqualTo("/api/next"); // the request that left never reached it
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unused")
    private static byte[] head(byte[] b) {
        return Arrays.copyOf(b, 16);
    }
}
