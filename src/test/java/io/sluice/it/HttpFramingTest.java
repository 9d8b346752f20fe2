package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Message framing through the proxy: chunked bodies and trailers, bodiless responses, 100-continue, pipelining, HTTP/1.0. */
class HttpFramingTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /local }
                    respond: { status: 200, body: "local\\n", headers: { Content-Type: text/plain } }
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            """;

    private static Map<String, String> env(String address) {
        return Map.of("UP1", address);
    }

    private static String target(String request) {
        return request.substring(request.indexOf(' ') + 1, request.indexOf(' ', request.indexOf(' ') + 1));
    }

    private static void write(OutputStream out, String text) throws java.io.IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Answers with the request target as the body; /chunked-trailers with a chunked body and a trailer. */
    private static boolean echoTarget(String request, OutputStream out) throws java.io.IOException {
        String t = target(request);
        switch (t) {
            case "/chunked-trailers" -> write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n"
                    + "Content-Type: text/plain\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 42\r\n\r\n");
            case "/hints" -> write(out, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                    + "HTTP/1.1 100 Continue\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
            case "/204" -> write(out, "HTTP/1.1 204 No Content\r\nX-Kind: 204\r\n\r\n");
            case "/304" -> write(out, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nX-Kind: 304\r\n\r\n");
            case "/head" -> write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1234\r\n\r\n");
            default -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + t.length() + "\r\n\r\n" + t);
        }
        return true;
    }

    @Test
    void chunkedRequestBodyWithTrailersReachesTheUpstreamIntact() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc123\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("/upload");
            String raw = up.next();
            int bodyStart = raw.indexOf("\r\n\r\n") + 4;
            assertThat(raw.substring(0, bodyStart).toLowerCase()).contains("\r\ntransfer-encoding: chunked\r\n");
            String body = raw.substring(bodyStart);
            assertThat(dechunk(body)).isEqualTo("hello world");
            assertThat(body).endsWith("0\r\nX-Checksum: abc123\r\n\r\n");
        }
    }

    @Test
    void chunkedResponseWithTrailersReachesTheClient() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /chunked-trailers HTTP/1.1\r\nHost: h\r\nTE: trailers\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Transfer-Encoding")).isEqualToIgnoringCase("chunked");
            assertThat(response.bodyText()).isEqualTo("hello, world");
            assertThat(response.trailers()).containsEntry("x-sum", "42");
            // the connection is still good for the next request
            client.send("GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("/next");
        }
    }

    @Test
    void headAnd204And304HaveNoBodyAndTheConnectionStaysInStep() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("HEAD /head HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response head = client.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("1234");
            assertThat(head.header("Transfer-Encoding")).isNull();

            client.send("GET /204 HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response noContent = client.read();
            assertThat(noContent.status()).isEqualTo(204);
            assertThat(noContent.header("X-Kind")).isEqualTo("204");
            assertThat(noContent.header("Transfer-Encoding")).isNull();
            assertThat(noContent.header("Content-Length")).isNull();

            client.send("GET /304 HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v1\"\r\n\r\n");
            RawHttp.Response notModified = client.read();
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(notModified.header("ETag")).isEqualTo("\"v1\"");
            assertThat(notModified.header("Transfer-Encoding")).isNull();

            // had any of them carried a body (even an empty chunked one) this would read garbage
            client.send("GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response after = client.read();
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.bodyText()).isEqualTo("/after");
        }
    }

    @Test
    void headOnALocalAnswerHasNoBody() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("HEAD /local HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response head = client.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("6");
            client.send("GET /local HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("local\n");
        }
    }

    @Test
    void expectContinueGetsA100ThenTheFinalResponse() throws Exception {
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response interim = client.read();
            assertThat(interim.status()).isEqualTo(100);
            client.send("hello world");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("up\n");
            TestUpstream.Received got = up.next();
            assertThat(got.method()).isEqualTo("POST");
            assertThat(got.bodyText()).isEqualTo("hello world");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "GET /local HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "POST /three HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
            assertThat(client.read().bodyText()).isEqualTo("/one");
            assertThat(client.read().bodyText()).isEqualTo("local\n");
            assertThat(client.read().bodyText()).isEqualTo("/three");
            assertThat(up.next()).startsWith("GET /one ");
            assertThat(up.next()).startsWith("POST /three ").endsWith("\r\n\r\nabc");
        }
    }

    @Test
    void anH2cUpgradePipelinedBehindARequestInProgressIsAnsweredAsHttp11InItsTurn() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "GET /two HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"
                    + "GET /three HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response one = client.read();
            RawHttp.Response two = client.read();
            RawHttp.Response three = client.read();
            assertThat(List.of(one.status(), two.status(), three.status())).containsExactly(200, 200, 200);
            assertThat(List.of(one.bodyText(), two.bodyText(), three.bodyText())).containsExactly("/one", "/two", "/three");
            assertThat(up.next()).startsWith("GET /one ");
            assertThat(up.next()).startsWith("GET /two ");
            assertThat(up.next()).startsWith("GET /three ");
        }
    }

    @Test
    void http10ClientGetsADelimitedResponseAndTheConnectionCloses() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()))) {
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("GET /plain HTTP/1.0\r\nHost: h\r\n\r\n");
                RawHttp.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("Transfer-Encoding")).isNull();
                assertThat(response.bodyText()).isEqualTo("/plain");
                assertThat(client.closedByServer()).isTrue();
            }
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                // the upstream answers chunked: a 1.0 client gets the body delimited by the close
                client.send("GET /chunked-trailers HTTP/1.0\r\nHost: h\r\n\r\n");
                RawHttp.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("Transfer-Encoding")).isNull();
                assertThat(response.bodyText()).isEqualTo("hello, world");
                assertThat(client.closedByServer()).isTrue();
            }
            String upstreamSaw = up.next();
            assertThat(upstreamSaw).startsWith("GET /plain HTTP/1.1\r\n");
        }
    }

    @Test
    void upstreamAnsweringHttp10WithoutContentLengthWorks() throws Exception {
        try (RawUpstream up = RawUpstream.start((req, out) -> {
                write(out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody of " + target(req));
                return false; // the close ends the body
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /old HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("body of /old");
            client.send("GET /again HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response again = client.read();
            assertThat(again.bodyText()).isEqualTo("body of /again");
        }
    }

    @Test
    void largeBodiesStreamBothWays() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 26);
        }
        try (TestUpstream up = TestUpstream.start("echo", exchange -> {
                byte[] body = exchange.getRequestBody().readAllBytes();
                if (exchange.getRequestMethod().equals("GET")) {
                    body = big;
                    exchange.sendResponseHeaders(200, 0); // chunked from the upstream
                } else {
                    exchange.sendResponseHeaders(200, body.length);
                }
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send(("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: " + big.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            client.send(big);
            RawHttp.Response echoed = client.read();
            assertThat(echoed.status()).isEqualTo(200);
            assertThat(echoed.body()).isEqualTo(big);

            StringBuilder chunked = new StringBuilder("PUT /big-chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
            String piece = "0123456789abcdef".repeat(4096); // 64 KiB
            for (int i = 0; i < 5; i++) {
                chunked.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
            }
            chunked.append("0\r\n\r\n");
            client.send(chunked.toString());
            RawHttp.Response put = client.read();
            assertThat(put.status()).isEqualTo(200);
            assertThat(put.bodyText()).isEqualTo(piece.repeat(5));

            client.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response got = client.read();
            assertThat(got.status()).isEqualTo(200);
            assertThat(got.body()).isEqualTo(big);
        }
    }

    @Test
    void http10KeepAliveAndHttp11CloseAreHonoured() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()))) {
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("GET /ka1 HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n");
                RawHttp.Response first = client.read();
                assertThat(first.bodyText()).isEqualTo("/ka1");
                assertThat(first.header("Connection")).isEqualToIgnoringCase("keep-alive");
                client.send("GET /ka2 HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n");
                assertThat(client.read().bodyText()).isEqualTo("/ka2");
                // a body without a length can only end with the connection
                client.send("GET /chunked-trailers HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n");
                RawHttp.Response last = client.read();
                assertThat(last.header("Connection")).isEqualToIgnoringCase("close");
                assertThat(last.bodyText()).isEqualTo("hello, world");
                assertThat(client.closedByServer()).isTrue();
            }
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("GET /bye HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
                RawHttp.Response r = client.read();
                assertThat(r.bodyText()).isEqualTo("/bye");
                assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
                assertThat(client.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void expectContinueOnALocalAnswerGetsNo100() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /local HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("local\n");
        }
    }

    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = body.indexOf("\r\n", at);
            int size = Integer.parseInt(body.substring(at, eol).split(";")[0].trim(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(body, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    @Test
    void earlyHintsAreRelayedAndAStray100IsNot() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /hints HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response hints = client.read();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("Link")).isEqualTo("</a.css>; rel=preload");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("final");
            client.send("GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("/next");
        }
    }

    /** The 103 reaches the client while the upstream still works on the final answer. */
    @Test
    void anEarlyHintIsSentOnAtOnceNotWithTheFinalHead() throws Exception {
        java.util.concurrent.CountDownLatch hintSeen = new java.util.concurrent.CountDownLatch(1);
        try (RawUpstream up = RawUpstream.start((request, out) -> {
                write(out, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
                try {
                    hintSeen.await(30, java.util.concurrent.TimeUnit.SECONDS); // the final head waits for the client
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
                return true;
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.socket().setSoTimeout(10_000);
            client.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response hints = client.read();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("Link")).isEqualTo("</a.css>; rel=preload");
            hintSeen.countDown();
            assertThat(client.read().bodyText()).isEqualTo("final");
        }
    }

    /** RFC 9110 15.2: an HTTP/1.0 client gets no 1xx, only the final answer. */
    @Test
    void anHttp10ClientGetsNoEarlyHints() throws Exception {
        try (RawUpstream up = RawUpstream.start(HttpFramingTest::echoTarget);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /hints HTTP/1.0\r\nHost: h\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("final");
        }
    }

    /** An upstream that sends 1xx after 1xx is a malformed one: 502 after at most 16 of them. */
    @Test
    void endlessInterimResponsesAre502() throws Exception {
        try (RawUpstream up = RawUpstream.start((request, out) -> {
                write(out, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n".repeat(100)
                        + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
                return true;
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /hints HTTP/1.1\r\nHost: h\r\n\r\n");
            int interims = 0;
            RawHttp.Response response;
            while ((response = client.read()).status() == 103) {
                interims++;
            }
            assertThat(response.status()).isEqualTo(502);
            assertThat(interims).isLessThanOrEqualTo(16);
        }
    }
}
