package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Request smuggling and parsing through the proxy, each case asserting what reaches the upstream byte for
 * byte (a raw-socket upstream records every byte of every connection), not only the status the client gets.
 * Cases come from RFC 9110, 9112 and 9113 and from the published research: PortSwigger's request smuggling
 * and HTTP/2 downgrade work, the http-garden and smuggler test cases. See docs/security.md.
 */
class SmugglingTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            tracing: { enabled: false }   # no generated traceparent: the forwarded bytes are all predictable
            """;

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private static Map<String, String> env(RawUpstream up) {
        return Map.of("UP1", up.address());
    }

    /** The header lines the proxy adds to every forwarded request from 127.0.0.1 with {@code Host: h}. */
    private static String proxyLines(String requestId) {
        return "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n"
                + "X-Real-IP: 127.0.0.1\r\nX-Forwarded-Port: P\r\nX-Request-ID: " + requestId + "\r\n";
    }

    /** The upstream's bytes with the listener's port (another each run) in X-Forwarded-Port written as P. */
    static String wire(RawUpstream up) {
        return up.wire().replaceAll("\r\nX-Forwarded-Port: \\d+\r\n", "\r\nX-Forwarded-Port: P\r\n");
    }

    /** Waits until the upstream's connections together received exactly {@code expected}. */
    private static void awaitWire(RawUpstream up, String expected) {
        await().atMost(Duration.ofSeconds(60)).until(() -> wire(up).length() >= expected.length());
        assertThat(wire(up)).isEqualTo(expected);
    }

    // ---------------------------------------------------------------- Connection (issue 9, item 1)

    @Test
    void connectionCannotRemoveContentLengthSoTheBodyStaysABody() throws Exception {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /a HTTP/1.1\r\nHost: h\r\nConnection: Content-Length\r\nX-Request-ID: r1\r\n"
                    + "Content-Length: " + smuggled.length() + "\r\n\r\n" + smuggled);
            assertThat(client.read().status()).isEqualTo(200);
            client.send("GET /b HTTP/1.1\r\nHost: h\r\nX-Request-ID: r2\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            awaitWire(up, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: " + smuggled.length() + "\r\n"
                    + proxyLines("r1") + "\r\n" + smuggled
                    + "GET /b HTTP/1.1\r\nHost: h\r\n" + proxyLines("r2") + "\r\n");
            assertThat(up.receivedCount()).isEqualTo(2);
        }
    }

    @Test
    void connectionCannotRemoveTransferEncodingSoAChunkedBodyStaysChunked() throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /a HTTP/1.1\r\nHost: h\r\nConnection: Transfer-Encoding\r\nX-Request-ID: r1\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            client.send("GET /b HTTP/1.1\r\nHost: h\r\nX-Request-ID: r2\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            awaitWire(up, "POST /a HTTP/1.1\r\nHost: h\r\n" + proxyLines("r1")
                    + "transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                    + "GET /b HTTP/1.1\r\nHost: h\r\n" + proxyLines("r2") + "\r\n");
        }
    }

    @Test
    void connectionCannotRemoveTheHeadersTheProxyOwns() throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /a HTTP/1.1\r\nHost: h\r\n"
                    + "Connection: X-Forwarded-For, X-Real-IP, Host, X-Request-ID\r\n"
                    + "Connection: x-forwarded-proto,X-FORWARDED-HOST , traceparent, X-Drop\r\n"
                    + "X-Drop: 1\r\nX-Request-ID: r1\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            awaitWire(up, "GET /a HTTP/1.1\r\nHost: h\r\n" + proxyLines("r1") + "\r\n");
        }
    }

    @Test
    void upstreamConnectionCannotRemoveTheResponseFraming() throws Exception {
        try (RawUpstream up = RawUpstream.answering("HTTP/1.1 200 OK\r\nConnection: Content-Length, X-Request-ID, X-Gone\r\n"
                + "X-Gone: 1\r\nContent-Length: 5\r\n\r\nhello");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /a HTTP/1.1\r\nHost: h\r\nX-Request-ID: r1\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Content-Length")).isEqualTo("5");
            assertThat(response.header("Transfer-Encoding")).isNull();
            assertThat(response.header("X-Request-ID")).isEqualTo("r1");
            assertThat(response.header("X-Gone")).isNull();
            assertThat(response.bodyText()).isEqualTo("hello");
        }
    }

    // ---------------------------------------------------------------- refused before anything goes upstream

    /** Sends {@code request}, expects {@code status} and a closed connection, then proves nothing of it went upstream. */
    private static void refused(String name, String request, int status) throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up))) {
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send(request);
                RawHttp.Response response = client.read();
                assertThat(response.status()).as(name).isEqualTo(status);
                assertThat(client.closedByServer()).as(name + ": closed").isTrue();
            }
            // A request sent after it is the first thing the upstream ever sees.
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("GET /sentinel HTTP/1.1\r\nHost: h\r\nX-Request-ID: s\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            awaitWire(up, "GET /sentinel HTTP/1.1\r\nHost: h\r\n" + proxyLines("s") + "\r\n");
        }
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> refusedRequests() {
        String post = "POST /a HTTP/1.1\r\nHost: h\r\n";
        return java.util.stream.Stream.of(
                // RFC 9112 §6.1, §6.3 and PortSwigger's CL.TE / TE.CL / TE.TE: the framing must be unambiguous
                args("CL.TE", post + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX", 400),
                args("TE.CL", post + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", 400),
                args("TE identity, chunked (nginx: 501)", post + "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n", 501),
                args("TE gzip, chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
                args("TE chunked, identity", post + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 501),
                args("TE xchunked", post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501),
                args("TE chunked twice", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                args("TE with CL, not chunked", post + "Transfer-Encoding: identity\r\nContent-Length: 1\r\n\r\nX", 501),
                args("TE in HTTP/1.0", "POST /a HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                args("space before the colon (TE.TE)", post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
                args("obs-fold hides TE", post + "X: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                args("two Content-Lengths", post + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nXY", 400),
                args("Content-Length list", post + "Content-Length: 1, 1\r\n\r\nX", 400),
                args("Content-Length with a sign", post + "Content-Length: +1\r\n\r\nX", 400),
                args("bad chunk size", post + "Transfer-Encoding: chunked\r\n\r\n-1\r\nX\r\n0\r\n\r\n", 400),
                args("NUL in a value", "GET /a HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 400),
                args("bare CR in a value", "GET /a HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400),
                // issue 9, item 6: Host the upstream could read differently
                args("Host with userinfo", "GET /a HTTP/1.1\r\nHost: user@h\r\n\r\n", 400),
                args("Host with a path", "GET /a HTTP/1.1\r\nHost: h/admin\r\n\r\n", 400),
                args("Host with a space", "GET /a HTTP/1.1\r\nHost: h x\r\n\r\n", 400),
                args("Host with a bad port", "GET /a HTTP/1.1\r\nHost: h:8x\r\n\r\n", 400),
                args("absolute-form with userinfo", "GET http://user@h/a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                // a name of letters, digits, '-', '.', '_' only: sub-delims made "evil.com,a.internal.example"
                // match *.internal.example
                args("Host with a comma", "GET /a HTTP/1.1\r\nHost: evil.com,a.internal.example\r\n\r\n", 400),
                args("Host with a semicolon", "GET /a HTTP/1.1\r\nHost: evil.com;a.example\r\n\r\n", 400),
                args("Host with a quote", "GET /a HTTP/1.1\r\nHost: h'x\r\n\r\n", 400),
                args("Host percent-encoded", "GET /a HTTP/1.1\r\nHost: %68\r\n\r\n", 400),
                args("absolute-form with a comma", "GET http://evil.com,h/a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                // issue 9, item 4: paths that climb above the root, broken percent-encodings
                args("/../x", "GET /../x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                args("/a/../../x", "GET /a/../../x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                args("/%2e%2e/x", "GET /%2e%2e/x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                args("/%2E./x", "GET /%2E./x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                args("broken percent-encoding", "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400),
                args("truncated percent-encoding", "GET /a%4 HTTP/1.1\r\nHost: h\r\n\r\n", 400));
    }

    private static org.junit.jupiter.params.provider.Arguments args(String name, String request, int status) {
        return org.junit.jupiter.params.provider.Arguments.of(name, request, status);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("refusedRequests")
    void refusedAndNothingReachesTheUpstream(String name, String request, int status) throws Exception {
        refused(name, request, status);
    }

    @Test
    void aHostWithSubDelimsDoesNotMatchAWildcardRoute() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - { match: { hosts: ["*.internal.example"] }, upstream: internal }
                      - respond: { status: 404, body: "none\\n" }
                upstreams:
                  internal:
                    endpoints:
                      - { address: "${UP1}" }
                tracing: { enabled: false }
                """;
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, env(up))) {
            for (String host : new String[] {"evil.com,a.internal.example", "evil.com;a.internal.example",
                    "evil.com!a.internal.example", "evil.com&a.internal.example:80"}) {
                try (RawHttp client = new RawHttp(sluice.port("main"))) {
                    client.send("GET /secret HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
                    assertThat(client.read().status()).as(host).isEqualTo(400);
                }
            }
            try (RawHttp client = new RawHttp(sluice.port("main"))) { // a name of the wildcard is served
                client.send("GET /sentinel HTTP/1.1\r\nHost: a_b.internal.example\r\nX-Request-ID: s\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> wire(up).contains("GET /sentinel"));
            assertThat(wire(up)).startsWith("GET /sentinel HTTP/1.1\r\n").doesNotContain("/secret");
        }
    }

    // ---------------------------------------------------------------- paths (issue 9, item 4) and targets (item 6)

    private static final String ADMIN_YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /admin/ }
                    respond: { status: 403, body: "no\\n" }
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            tracing: { enabled: false }
            """;

    @Test
    void pathsAreNormalisedBeforeMatchingSoAPrefixRuleCannotBeWalkedAround() throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(ADMIN_YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            for (String target : new String[] {"/x/../admin/x", "/%61dmin/x", "//admin/x", "/./admin/x",
                    "/x/%2e%2e/admin/x", "/admin//x", "/x/..//admin/x"}) {
                client.send("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().status()).as(target).isEqualTo(403);
            }
            client.send("GET /sentinel HTTP/1.1\r\nHost: h\r\nX-Request-ID: s\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            awaitWire(up, "GET /sentinel HTTP/1.1\r\nHost: h\r\n" + proxyLines("s") + "\r\n");
        }
    }

    @Test
    void theUpstreamGetsTheNormalisedPathAndTheQueryAsSent() throws Exception {
        String[][] cases = {
            {"/a/./b//c/../d", "/a/b/d"},
            {"/p/%7Euser/a%20b/%2F/%2f?x=/../y&z=%61", "/p/~user/a%20b/%2F/%2f?x=/../y&z=%61"},
            {"/a/b/..", "/a/"},
            {"/a/.", "/a/"},
            {"//", "/"},
            {"/%41%5A%30-%5F.%7e", "/AZ0-_.~"},
            {"/caf\u00e9/\u00ff\u0080?q=\u00e9", "/caf\u00e9/\u00ff\u0080?q=\u00e9"}, // raw bytes 0x80-0xFF: as sent
        };
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < cases.length; i++) {
                client.send("GET " + cases[i][0] + " HTTP/1.1\r\nHost: h\r\nX-Request-ID: r" + i + "\r\n\r\n");
                assertThat(client.read().status()).as(cases[i][0]).isEqualTo(200);
                expected.append("GET ").append(cases[i][1]).append(" HTTP/1.1\r\nHost: h\r\n")
                        .append(proxyLines("r" + i)).append("\r\n");
            }
            awaitWire(up, expected.toString());
        }
    }

    // ---------------------------------------------------------------- upstream answers (issue 9, item 3)

    @Test
    void anUnaskedFor101Is502AndItsConnectionIsNotReused() throws Exception {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        try (RawUpstream up = RawUpstream.start((request, out) -> {
                if (n.getAndIncrement() == 0) {
                    out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                            + "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                } else {
                    out.write(OK.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                }
                out.flush();
                return true;
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response response = client.read();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.header("Upgrade")).isNull();
            client.send("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response next = client.read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.bodyText()).isEqualTo("ok");
            assertThat(up.connections()).isEqualTo(2);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {
            "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello"})
    void aResponseTransferCodingOtherThanChunkedIs502AndItsConnectionIsNotReused(String rest) throws Exception {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        try (RawUpstream up = RawUpstream.start((request, out) -> {
                out.write((n.getAndIncrement() == 0 ? "HTTP/1.1 200 OK\r\n" + rest : OK)
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                out.flush();
                return true;
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(502);
            client.send("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response next = client.read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.bodyText()).isEqualTo("ok");
            assertThat(up.connections()).as("a fresh upstream connection for the next request").isEqualTo(2);
        }
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> bodylessAnswersWithStrayBytes() {
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("GET", "HTTP/1.1 204 No Content\r\n\r\nstray"),
                org.junit.jupiter.params.provider.Arguments.of("GET", "HTTP/1.1 304 Not Modified\r\nETag: \"v\"\r\n\r\nstray"),
                org.junit.jupiter.params.provider.Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray"),
                org.junit.jupiter.params.provider.Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokstray"));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}: {1}")
    @org.junit.jupiter.params.provider.MethodSource("bodylessAnswersWithStrayBytes")
    void bytesAfterAResponseCloseItsConnectionAndTheNextRequestIsServed(String method, String answer) throws Exception {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        try (RawUpstream up = RawUpstream.start((request, out) -> {
                out.write((n.getAndIncrement() == 0 ? answer : "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext")
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                out.flush();
                return true;
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send(method + " /a HTTP/1.1\r\nHost: h\r\n\r\n");
            client.read(method.equals("HEAD"));
            await().atMost(Duration.ofSeconds(60)).until(() -> up.connectionClosed(0));
            client.send("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response next = client.read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.bodyText()).isEqualTo("next");
            assertThat(up.connections()).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- client addresses (issue 9, item 7)

    @Test
    void ipv6ClientsAreWrittenInTheShortFormWithoutBrackets() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ipv6Loopback(), "no IPv6 loopback here");
        String yaml = YAML.replace("address: 127.0.0.1:0", "address: \"[::1]:0\"");
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, env(up));
             RawHttp client = new RawHttp(new java.net.Socket("::1", sluice.port("main")))) {
            client.send("GET /a HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 2001:db8::7\r\nX-Request-ID: r\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            awaitWire(up, "GET /a HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 2001:db8::7, ::1\r\n"
                    + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\nX-Real-IP: ::1\r\nX-Forwarded-Port: P\r\n"
                    + "X-Request-ID: r\r\n\r\n");
        }
    }

    private static boolean ipv6Loopback() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("::1"))) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- accepted, and re-framed by the proxy

    /** Sends {@code request} (answered 200), returns every byte the upstream received for it. */
    private static String forwarded(String request) throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send(request);
            assertThat(client.read().status()).isEqualTo(200);
            up.next();
            return wire(up);
        }
    }

    @Test
    void chunkSizesWithLeadingZerosAndExtensionsArriveReframed() throws Exception {
        String raw = forwarded("POST /a HTTP/1.1\r\nHost: h\r\nX-Request-ID: r\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0005;name=value\r\nhello\r\n000\r\n\r\n");
        assertThat(raw).isEqualTo("POST /a HTTP/1.1\r\nHost: h\r\n" + proxyLines("r")
                + "transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void framingFieldsInTrailersAreNotForwarded() throws Exception {
        // RFC 9110 §6.5.1: a trailer may not carry framing; an upstream that merged it into the head would
        // read a different length than the proxy did
        String raw = forwarded("POST /a HTTP/1.1\r\nHost: h\r\nX-Request-ID: r\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\nX-Sum: 1\r\n\r\n");
        assertThat(raw).isEqualTo("POST /a HTTP/1.1\r\nHost: h\r\n" + proxyLines("r")
                + "transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n");
    }

    @Test
    void aFoldedTrailerLineIsRefusedAndNoTrailerArrives() throws Exception {
        // Netty joined the folded line to X-A and trimmed away its bare CR (found by CI's timed fuzzing); as in
        // the head, a fold is refused
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /a HTTP/1.1\r\nHost: h\r\nX-Request-ID: r\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\nX-A: 1\r\n folded\r\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(400);
            assertThat(client.closedByServer()).isTrue();
            assertThat(up.wire()).doesNotContain("X-A", "folded", "0\r\n\r\n");
        }
    }

    @Test
    void pipelinedRequestsArriveAsSeparateWellFramedRequests() throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /a HTTP/1.1\r\nHost: h\r\nX-Request-ID: r1\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /b HTTP/1.1\r\nHost: h\r\nX-Request-ID: r2\r\n\r\n"
                    + "POST /c HTTP/1.1\r\nHost: h\r\nX-Request-ID: r3\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\n0\r\n\r\n");
            for (int i = 0; i < 3; i++) {
                assertThat(client.read().status()).isEqualTo(200);
            }
            awaitWire(up, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n" + proxyLines("r1") + "\r\nhello"
                    + "GET /b HTTP/1.1\r\nHost: h\r\n" + proxyLines("r2") + "\r\n"
                    + "POST /c HTTP/1.1\r\nHost: h\r\n" + proxyLines("r3")
                    + "transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        }
    }

    @Test
    void bareLfLineEndingsAreRefusedOrReframedNeverPassedOn() throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /a HTTP/1.1\nHost: h\nX-Request-ID: r\n\n");
            int status = client.read().status();
            assertThat(status).isIn(200, 400);
            if (status == 200) {
                awaitWire(up, "GET /a HTTP/1.1\r\nHost: h\r\n" + proxyLines("r") + "\r\n");
            }
        }
    }
}
