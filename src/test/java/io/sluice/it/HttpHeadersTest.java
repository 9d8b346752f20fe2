package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the proxy does to header fields on the way up and on the way back, seen on real sockets. */
class HttpHeadersTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /rw/ }
                    request_headers:  { set: { X-Env: prod }, remove: [X-Debug] }
                    response_headers: { set: { X-Served-By: sluice }, remove: [X-Upstream] }
                    upstream: app
                  - match: { path_prefix: /api }
                    strip_prefix: /api
                    upstream: app
                  - match: { path_prefix: /sethost/ }
                    request_headers: { set: { Host: backend.internal } }
                    upstream: app
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            """;

    private static Map<String, String> env(String address) {
        return Map.of("UP1", address);
    }

    @Test
    void hopByHopHeadersAreRemovedBothWaysAndNamesKeepTheirCase() throws Exception {
        String answer = "HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/plain\r\n"
                + "Connection: x-secret\r\n"
                + "X-Secret: do-not-leak\r\n"
                + "Keep-Alive: timeout=5, max=100\r\n"
                + "Proxy-Connection: keep-alive\r\n"
                + "Upgrade: h2c\r\n"
                + "X-Public: yes\r\n"
                + "Content-Length: 3\r\n\r\nok\n";
        try (RawUpstream up = RawUpstream.answering(answer);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /hop HTTP/1.1\r\n"
                    + "Host: example.test\r\n"
                    + "Connection: keep-alive, X-Foo, x-bar\r\n"
                    + "X-Foo: 1\r\n"
                    + "X-Bar: 2\r\n"
                    + "Keep-Alive: timeout=5\r\n"
                    + "Proxy-Connection: keep-alive\r\n"
                    + "TE: trailers, deflate\r\n"
                    + "Upgrade: websocket\r\n"
                    + "x-MiXeD-CaSe: kept\r\n"
                    + "User-Agent: tester\r\n"
                    + "accept-encoding: gzip\r\n"
                    + "X-Keep: 3\r\n\r\n");
            RawHttp.Response response = client.read();
            String raw = up.next();
            String lower = raw.toLowerCase();

            assertThat(raw).startsWith("GET /hop HTTP/1.1\r\n");
            assertThat(lower).doesNotContain("\r\nx-foo:", "\r\nx-bar:", "\r\nkeep-alive:", "\r\nproxy-connection:",
                    "\r\nupgrade:", "deflate");
            assertThat(lower).doesNotContain("x-foo", "x-bar");
            assertThat(raw).contains("\r\nx-MiXeD-CaSe: kept\r\n", "\r\nX-Keep: 3\r\n", "\r\nHost: example.test\r\n",
                    "\r\nUser-Agent: tester\r\n", "\r\naccept-encoding: gzip\r\n");
            assertThat(lower).containsOnlyOnce("\r\nte:");
            assertThat(raw).containsIgnoringCase("\r\nTE: trailers\r\n");

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("ok\n");
            assertThat(response.header("X-Public")).isEqualTo("yes");
            assertThat(response.header("X-Secret")).isNull();
            assertThat(response.header("Keep-Alive")).isNull();
            assertThat(response.header("Proxy-Connection")).isNull();
            assertThat(response.header("Upgrade")).isNull();
            assertThat(response.headers().getOrDefault("connection", java.util.List.of()))
                    .noneMatch(v -> v.toLowerCase().contains("x-secret"));
            assertThat(response.header("X-Request-ID")).matches("[0-9a-f]{32}");
        }
    }

    @Test
    void responseFieldNamesAndReasonPhrasesArriveAsTheUpstreamWroteThem() throws Exception {
        // common names in their usual case, in lower case and in an unusual case; a usual and an unusual reason
        for (String statusLine : new String[] {"HTTP/1.1 404 Not Found", "HTTP/1.1 200 Fine Thanks", "HTTP/1.0 200 OK"}) {
            String answer = statusLine + "\r\n"
                    + "content-type: text/plain\r\n"
                    + "ETag: \"v1\"\r\n"
                    + "CACHE-CONTROL: no-store\r\n"
                    + "X-Custom: 1\r\n"
                    + "Content-Length: 3\r\n\r\nok\n";
            try (RawUpstream up = RawUpstream.answering(answer);
                 SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
                 java.net.Socket socket = new java.net.Socket("127.0.0.1", sluice.port("main"))) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("GET /n HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                java.io.InputStream in = socket.getInputStream();
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    int b = in.read();
                    assertThat(b).as(head.toString()).isNotNegative();
                    head.append((char) b);
                }
                String reason = statusLine.substring(13);
                assertThat(head.toString()).as(statusLine)
                        .startsWith("HTTP/1.1 " + statusLine.substring(9, 12) + " " + reason + "\r\n")
                        .contains("\r\ncontent-type: text/plain\r\n", "\r\nETag: \"v1\"\r\n",
                                "\r\nCACHE-CONTROL: no-store\r\n", "\r\nX-Custom: 1\r\n", "\r\nContent-Length: 3\r\n");
            }
        }
    }

    @Test
    void teTrailersSurvivesEvenWhenConnectionNamesTe() throws Exception {
        try (RawUpstream up = RawUpstream.answering("HTTP/1.1 204 No Content\r\n\r\n");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /te HTTP/1.1\r\nHost: h\r\nConnection: TE\r\nTE: deflate;q=0.5, Trailers\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(204);
            String raw = up.next();
            assertThat(raw).containsIgnoringCase("\r\nTE: trailers\r\n");
            assertThat(raw.toLowerCase()).doesNotContain("deflate", "\r\nconnection:");
        }
    }

    @Test
    void forwardedHeadersAreAppendedOrReplaced() throws Exception {
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /fwd HTTP/1.1\r\n"
                    + "Host: Public.Example:8080\r\n"
                    + "X-Forwarded-For: 10.0.0.1\r\n"
                    + "X-Forwarded-For: 10.0.0.2, 10.0.0.3\r\n"
                    + "X-Forwarded-Proto: https\r\n"
                    + "X-Forwarded-Host: evil.example\r\n"
                    + "X-Real-IP: 6.6.6.6\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            TestUpstream.Received got = up.next();
            assertThat(got.headerValues("X-Forwarded-For")).containsExactly("10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1");
            assertThat(got.headerValues("X-Forwarded-Proto")).containsExactly("http");
            assertThat(got.headerValues("X-Forwarded-Host")).containsExactly("Public.Example:8080");
            assertThat(got.headerValues("X-Real-IP")).containsExactly("127.0.0.1");
            assertThat(got.headerValues("Host")).containsExactly("Public.Example:8080");
        }
    }

    @Test
    void aClientsForwardedIsRemovedAndXForwardedPortIsTheListeners() throws Exception {
        // both were passed on as the client wrote them: an upstream reading Forwarded took for=/host= as the proxy's
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /fwd HTTP/1.1\r\n"
                    + "Host: public.example\r\n"
                    + "Forwarded: for=10.6.6.6;host=admin.internal;proto=https\r\n"
                    + "Forwarded: for=10.7.7.7\r\n"
                    + "X-Forwarded-Port: 443\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            TestUpstream.Received got = up.next();
            assertThat(got.headerValues("Forwarded")).isEmpty();
            assertThat(got.headerValues("X-Forwarded-Port")).containsExactly(String.valueOf(sluice.port("main")));

            client.send("GET /fwd HTTP/1.1\r\nHost: public.example\r\n\r\n"); // none sent: the proxy writes it
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(up.next().headerValues("X-Forwarded-Port")).containsExactly(String.valueOf(sluice.port("main")));
        }
    }

    @Test
    void anH2cOfferTheProxyDoesNotTakeGoesUpstreamAsPlainHttp11() throws Exception {
        // h2c is hop-by-hop: forwarded, an upstream answered 101 and the client's connection became a tunnel of h2
        // frames. Declined here for a body, and for h2c offered in a list (as on https listeners and for a request
        // pipelined behind another).
        RawUpstream.Responder switchesWhenAsked = (request, out) -> {
            String answer = request.toLowerCase(java.util.Locale.ROOT).contains("upgrade: h2c")
                    ? "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
            out.write(answer.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            out.flush();
            return true;
        };
        String offer = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n";
        try (RawUpstream up = RawUpstream.start(switchesWhenAsked);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /body HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n" + offer + "\r\nhello");
            RawHttp.Response withBody = client.read();
            assertThat(withBody.status()).isEqualTo(200);
            assertThat(withBody.bodyText()).isEqualTo("ok");

            // a list the proxy does not take either (it upgrades to h2c alone): h2c leaves it, the rest goes on
            client.send("GET /list HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c, websocket\r\n"
                    + "HTTP2-Settings: AAMAAABk\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200); // not the 101 the upstream gives an h2c offer

            String posted = up.next();
            assertThat(posted).startsWith("POST /body ").endsWith("hello");
            assertThat(posted.toLowerCase(java.util.Locale.ROOT)).doesNotContain("h2c", "http2-settings", "upgrade");
            String listed = up.next().toLowerCase(java.util.Locale.ROOT);
            assertThat(listed).startsWith("get /list ").doesNotContain("h2c", "http2-settings")
                    .contains("\r\nupgrade: websocket\r\n"); // the other protocol offered is the upstream's to take
        }
    }

    @Test
    void aClientsConnectionCannotNameAwayAFieldAFilterSets() throws Exception {
        // the client's Connection-named fields were removed after the filters ran: "Connection: X-User" took
        // away the X-User forward_auth had set from its answer
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters:
                          - forward_auth: { url: "http://${UP2}/check", response_headers: [X-User] }
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app");
             TestUpstream auth = TestUpstream.start("auth", exchange -> {
                 exchange.getResponseHeaders().set("X-User", "alice");
                 exchange.sendResponseHeaders(200, -1);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app, auth));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /orders HTTP/1.1\r\nHost: shop.example\r\nConnection: keep-alive, X-User, X-Hop\r\n"
                    + "X-User: mallory\r\nX-Hop: 1\r\nX-Kept: 2\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            auth.next();
            TestUpstream.Received forwarded = app.next();
            assertThat(forwarded.headerValues("X-User")).containsExactly("alice");
            assertThat(forwarded.header("X-Hop")).isNull(); // still this hop's
            assertThat(forwarded.header("X-Kept")).isEqualTo("2");

            client.send("GET /again HTTP/1.1\r\nHost: shop.example\r\n\r\n"); // keep-alive was kept
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(app.next().uri()).isEqualTo("/again");
        }
    }

    @Test
    void requestIdIsKeptWhenValidAndReplacedOtherwise() throws Exception {
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            String max = "r".repeat(200);
            client.send("GET /id1 HTTP/1.1\r\nHost: h\r\nX-Request-ID: " + max + "\r\n\r\n");
            RawHttp.Response kept = client.read();
            assertThat(kept.header("X-Request-ID")).isEqualTo(max);
            assertThat(up.next().header("X-Request-ID")).isEqualTo(max);

            String tooLong = "r".repeat(201);
            client.send("GET /id2 HTTP/1.1\r\nHost: h\r\nX-Request-ID: " + tooLong + "\r\n\r\n");
            RawHttp.Response replaced = client.read();
            assertThat(replaced.header("X-Request-ID")).matches("[0-9a-f]{32}");
            assertThat(up.next().header("X-Request-ID")).isEqualTo(replaced.header("X-Request-ID"));

            client.send("GET /id3 HTTP/1.1\r\nHost: h\r\nX-Request-ID: has space\r\n\r\n");
            RawHttp.Response spaced = client.read();
            assertThat(spaced.header("X-Request-ID")).matches("[0-9a-f]{32}");
            assertThat(up.next().header("X-Request-ID")).isEqualTo(spaced.header("X-Request-ID"));

            client.send("GET /id4 HTTP/1.1\r\nHost: h\r\nX-Request-ID: abc-123_\u007e\r\n\r\n");
            assertThat(client.read().header("X-Request-ID")).isEqualTo("abc-123_~");
            assertThat(up.next().headerValues("X-Request-ID")).containsExactly("abc-123_~");
            assertThat(replaced.header("X-Request-ID")).isNotEqualTo(spaced.header("X-Request-ID"));
        }
    }

    @Test
    void routeHeaderOperationsApplyBothWays() throws Exception {
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /rw/x HTTP/1.1\r\nHost: h\r\nX-Debug: 1\r\nX-Env: dev\r\nX-Other: o\r\n\r\n");
            RawHttp.Response response = client.read();
            TestUpstream.Received got = up.next();
            assertThat(got.header("X-Debug")).isNull();
            assertThat(got.headerValues("X-Env")).containsExactly("prod");
            assertThat(got.header("X-Other")).isEqualTo("o");
            assertThat(response.header("X-Served-By")).isEqualTo("sluice");
            assertThat(response.header("X-Upstream")).isNull();
            assertThat(response.bodyText()).isEqualTo("up\n");

            client.send("GET /sethost/y HTTP/1.1\r\nHost: public.example\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            TestUpstream.Received hostSet = up.next();
            assertThat(hostSet.headerValues("Host")).containsExactly("backend.internal");
            assertThat(hostSet.header("X-Forwarded-Host")).isEqualTo("public.example");
        }
    }

    @Test
    void stripPrefixLeavesSlashAndKeepsTheQuery() throws Exception {
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            for (String[] c : new String[][] {
                    {"/api", "/"}, {"/api?x=1&y=2", "/?x=1&y=2"}, {"/api/", "/"}, {"/api/a/b?q=/api", "/a/b?q=/api"}}) {
                client.send("GET " + c[0] + " HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
                assertThat(up.next().uri()).as(c[0]).isEqualTo(c[1]);
            }
        }
    }

    @Test
    void everyConnectionLineIsHonouredAndCloseStillCloses() throws Exception {
        try (RawUpstream up = RawUpstream.answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /c HTTP/1.1\r\nHost: h\r\nConnection: X-A\r\nConnection: close, X-B\r\n"
                    + "X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n\r\n");
            RawHttp.Response r = client.read();
            assertThat(r.bodyText()).isEqualTo("ok");
            assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
            String raw = up.next().toLowerCase();
            assertThat(raw).doesNotContain("x-a:", "x-b:", "connection:").contains("\r\nx-c: 3\r\n");
        }
    }

    @Test
    void absoluteFormTargetBecomesOriginFormWithItsAuthorityAsHost() throws Exception {
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET http://Abs.Example:81/p/q?x=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            TestUpstream.Received got = up.next();
            assertThat(got.uri()).isEqualTo("/p/q?x=1");
            assertThat(got.headerValues("Host")).containsExactly("Abs.Example:81");
            assertThat(got.header("X-Forwarded-Host")).isEqualTo("Abs.Example:81");
        }
    }
}
