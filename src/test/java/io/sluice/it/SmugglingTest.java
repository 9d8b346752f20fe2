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
                + "X-Real-IP: 127.0.0.1\r\nX-Request-ID: " + requestId + "\r\n";
    }

    /** Waits until the upstream's connections together received exactly {@code expected}. */
    private static void awaitWire(RawUpstream up, String expected) {
        await().atMost(Duration.ofSeconds(10)).until(() -> up.wire().length() >= expected.length());
        assertThat(up.wire()).isEqualTo(expected);
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
}
