package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed requests are answered 400 (431 for an oversize head) with an X-Request-ID, the connection
 * closes, nothing reaches the upstream, and the proxy goes on serving other connections.
 */
class HttpBadRequestTest {
    private static final String YAML = """
            server:
              max_request_head: 1KiB
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            """;

    private static TestUpstream upstream;
    private static SluiceUnderTest sluice;

    @BeforeAll
    static void start() throws Exception {
        upstream = TestUpstream.start("up");
        sluice = SluiceUnderTest.start(YAML, TestUpstream.env(upstream));
    }

    @AfterAll
    static void stop() {
        if (sluice != null) {
            sluice.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of("Content-Length with Transfer-Encoding",
                        "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "5\r\nhello\r\n0\r\n\r\n", 400),
                Arguments.of("bad chunk size",
                        "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
                Arguments.of("obs-fold",
                        "GET /a HTTP/1.1\r\nHost: h\r\nX-A: one\r\n  folded\r\n\r\n", 400),
                Arguments.of("space in a header name",
                        "GET /a HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400),
                Arguments.of("space before the colon",
                        "GET /a HTTP/1.1\r\nHost: h\r\nX-A : x\r\n\r\n", 400),
                Arguments.of("NUL in a value",
                        "GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n", 400),
                Arguments.of("bare CR in a value",
                        "GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", 400),
                Arguments.of("bad method token",
                        "G(T /a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                Arguments.of("two different Content-Lengths",
                        "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
                Arguments.of("Content-Length not a number",
                        "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5x\r\n\r\nhello", 400),
                Arguments.of("missing Host on HTTP/1.1",
                        "GET /a HTTP/1.1\r\nX-A: b\r\n\r\n", 400),
                Arguments.of("two Host headers",
                        "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                Arguments.of("bad request target",
                        "GET a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                // origin-form has no fragment (RFC 9112 §3.2): this one routed as /public and went on whole
                Arguments.of("a fragment in the request target",
                        "GET /public#/../admin HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                Arguments.of("a fragment in an absolute-form target",
                        "GET http://h/public?q#/../admin HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                Arguments.of("unsupported Transfer-Encoding (501, as nginx)",
                        "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nxxxx", 501),
                Arguments.of("oversize head",
                        "GET /a HTTP/1.1\r\nHost: h\r\nX-Big: " + "x".repeat(2000) + "\r\n\r\n", 431),
                Arguments.of("oversize request line",
                        "GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: h\r\n\r\n", 431));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void answeredLocallyAndClosed(String name, String request, int status) throws Exception {
        try (RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send(request);
            RawHttp.Response response = client.read();
            assertThat(response.status()).as(name).isEqualTo(status);
            assertThat(response.header("X-Request-ID")).as(name).isNotBlank();
            assertThat(response.header("Content-Type")).as(name).startsWith("text/plain");
            assertThat(response.bodyText()).as(name).startsWith(Integer.toString(status));
            assertThat(client.closedByServer()).as(name + ": closed").isTrue();
        }
        // the proxy still serves others, and the bad request never reached the upstream
        try (RawHttp other = new RawHttp(sluice.port("main"))) {
            other.send("GET /good HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response good = other.read();
            assertThat(good.status()).isEqualTo(200);
            assertThat(good.bodyText()).isEqualTo("up\n");
        }
        TestUpstream.Received received = upstream.next();
        assertThat(received.uri()).as(name).isEqualTo("/good");
        assertThat(upstream.receivedCount()).as(name + ": upstream requests besides /good").isZero();
    }

    @Test
    void aBadRequestPipelinedAfterAGoodOneIsAnsweredInTurnThenTheConnectionCloses() throws Exception {
        try (RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /first HTTP/1.1\r\nHost: h\r\n\r\nGET /second HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n"
                    + "GET /third HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response first = client.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.bodyText()).isEqualTo("up\n");
            RawHttp.Response second = client.read();
            assertThat(second.status()).isEqualTo(400);
            assertThat(second.header("X-Request-ID")).isNotBlank();
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(upstream.next().uri()).isEqualTo("/first");
        assertThat(upstream.receivedCount()).isZero();
    }

    @Test
    void aBadChunkAfterTheHeadWentUpstreamAbortsTheUpstreamRequestAndAnswers400() throws Exception {
        java.util.concurrent.CountDownLatch headArrived = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<String> outcome = new java.util.concurrent.CompletableFuture<>();
        try (TestUpstream reader = TestUpstream.start("reader", exchange -> {
                headArrived.countDown();
                try {
                    byte[] body = exchange.getRequestBody().readAllBytes();
                    outcome.complete("complete: " + new String(body, java.nio.charset.StandardCharsets.ISO_8859_1));
                    exchange.sendResponseHeaders(200, -1);
                } catch (java.io.IOException e) {
                    outcome.complete("broken");
                }
                exchange.close();
            });
             SluiceUnderTest proxy = SluiceUnderTest.start(YAML, TestUpstream.env(reader));
             RawHttp client = new RawHttp(proxy.port("main"))) {
            client.send("POST /stream HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            assertThat(headArrived.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            client.send("zz\r\nnot a chunk\r\n0\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.header("X-Request-ID")).isNotBlank();
            assertThat(client.closedByServer()).isTrue();
            assertThat(outcome.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("broken");
        }
    }
}
