package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code proxy_protocol: true} on http, https and tcp listeners: the client's address from a v1 or v2 header
 * is the one the upstream is told about; a bad, late or unwanted header closes the connection before
 * anything reaches an upstream. Real peers too: curl --haproxy-protocol and HAProxy with send-proxy-v2.
 */
class ProxyProtocolTest {
    static final String YAML = """
            server:
              client_timeouts: { request_head: 1s }
            listeners:
              - name: main
                address: 127.0.0.1:0
                proxy_protocol: true
                # FROM
                routes:
                  - upstream: app
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
            """;

    static byte[] v1(String line) {
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** A v2 header: PROXY (or LOCAL) over TCP, IPv4 (4-byte) or IPv6 (16-byte) addresses. */
    static byte[] v2(boolean local, byte[] src, byte[] dst, int srcPort, int dstPort) {
        int addrLen = src == null ? 0 : src.length * 2 + 4;
        ByteBuffer b = ByteBuffer.allocate(16 + addrLen);
        b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.put((byte) (local ? 0x20 : 0x21));
        b.put((byte) (src == null ? 0x00 : src.length == 4 ? 0x11 : 0x21));
        b.putShort((short) addrLen);
        if (src != null) {
            b.put(src).put(dst).putShort((short) srcPort).putShort((short) dstPort);
        }
        return b.array();
    }

    static byte[] ip(String text) throws Exception {
        return InetAddress.getByName(text).getAddress();
    }

    static byte[] concat(byte[] a, String b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    static final String GET = "GET /x HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n";

    @Test
    void v1HeaderNamesTheClient() throws Exception {
        try (TestUpstream up = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp c = new RawHttp(sluice.port("main"))) {
            c.send(concat(v1("PROXY TCP4 203.0.113.7 192.0.2.1 51000 80\r\n"), GET));
            assertThat(c.read().status()).isEqualTo(200);
            TestUpstream.Received r = up.next();
            assertThat(r.header("X-Forwarded-For")).isEqualTo("203.0.113.7");
            assertThat(r.header("X-Real-IP")).isEqualTo("203.0.113.7");
            assertThat(r.header("X-Forwarded-Port")).isEqualTo("80"); // the port the client connected to
        }
    }

    @Test
    void v2HeaderNamesAnIpv6Client() throws Exception {
        try (TestUpstream up = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp c = new RawHttp(sluice.port("main"))) {
            c.send(concat(v2(false, ip("2001:db8::7"), ip("2001:db8::1"), 40000, 443), GET));
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(up.next().header("X-Real-IP")).isEqualTo("2001:db8::7");
        }
    }

    @Test
    void v2LocalKeepsTheSocketAddress() throws Exception {
        try (TestUpstream up = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp c = new RawHttp(sluice.port("main"))) {
            c.send(concat(v2(true, null, null, 0, 0), GET));
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(up.next().header("X-Real-IP")).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void headerAndRequestInSeparatePacketsAndKeepAlive() throws Exception {
        try (TestUpstream up = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp c = new RawHttp(sluice.port("main"))) {
            c.send(v2(false, ip("198.51.100.2"), ip("192.0.2.1"), 1234, 80));
            c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            c.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(up.next().header("X-Real-IP")).isEqualTo("198.51.100.2");
            assertThat(up.next().header("X-Real-IP")).isEqualTo("198.51.100.2");
        }
    }

    /** Each of these is closed without an answer, and the upstream sees nothing. */
    @Test
    void badHeadersCloseTheConnectionAndReachNoUpstream() throws Exception {
        byte[] v2Signature = java.util.Arrays.copyOf(v2(false, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2), 12);
        byte[] oversizeV2 = v2(false, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2);
        oversizeV2[14] = 0x40; // declares 16 KiB of addresses and TLVs: over the limit
        byte[][] bad = {
                GET.getBytes(StandardCharsets.US_ASCII),                                  // no header: wrong signature
                concat(v1("PROXY TCP4 203.0.113.7 192.0.2.1 51000\r\n"), GET),           // a field missing
                concat(v1("PROXY TCP4 999.0.113.7 192.0.2.1 51000 80\r\n"), GET),        // not an address
                concat(v1("PROXY TCP4 203.0.113.7 " + "1".repeat(120) + "\r\n"), GET),  // v1 over 107 bytes
                concat(oversizeV2, GET),
                concat(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                        0x31, 0x11, 0x00, 0x0C}, GET),                                        // version 3
        };
        try (TestUpstream up = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            for (byte[] input : bad) {
                try (RawHttp c = new RawHttp(sluice.port("main"))) {
                    c.send(input);
                    assertThat(c.closedByServer()).as(new String(input, StandardCharsets.ISO_8859_1)).isTrue();
                }
            }
            // truncated: the signature and half an address block, then nothing (request_head: 1s)
            try (RawHttp c = new RawHttp(sluice.port("main"))) {
                c.send(v2Signature).send(new byte[] {0x21, 0x11, 0x00, 0x0C, 10, 0});
                assertThat(c.closedByServer()).isTrue();
            }
            // slow: a byte every 200 ms (pacing, not a deadline) is cut off before the header and request
            // are complete (request_head: 1s; the whole would take over 10 s)
            try (RawHttp c = new RawHttp(sluice.port("main"))) {
                byte[] line = v1("PROXY TCP4 203.0.113.7 192.0.2.1 51000 80\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
                boolean closed = false;
                for (int i = 0; i < line.length && !closed; i++) {
                    try {
                        c.send(new byte[] {line[i]});
                    } catch (java.io.IOException e) {
                        closed = true;
                    }
                    Awaitility.await().pollDelay(Duration.ofMillis(200)).until(() -> true);
                }
                assertThat(closed).as("cut off before the last byte").isTrue();
            }
            // nothing at all
            try (RawHttp c = new RawHttp(sluice.port("main"))) {
                assertThat(c.closedByServer()).isTrue();
            }
            assertThat(up.receivedCount()).isZero();
        }
    }

    @Test
    void headerFromAPeerNotInProxyProtocolFromClosesTheConnection() throws Exception {
        try (TestUpstream up = TestUpstream.start("app")) {
            String yaml = YAML.replace("# FROM", "proxy_protocol_from: [10.0.0.0/8]");
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(up))) {
                try (RawHttp c = new RawHttp(sluice.port("main"))) {
                    c.send(concat(v1("PROXY TCP4 203.0.113.7 192.0.2.1 51000 80\r\n"), GET));
                    assertThat(c.closedByServer()).isTrue();
                }
                try (RawHttp c = new RawHttp(sluice.port("main"))) {
                    c.send("PROX"); // a prefix of the signature, then something else: a direct client after all
                    c.send("Y"); // still a prefix
                    c.send(" TCP4 203.0.113.7 192.0.2.1 1 2\r\n" + GET);
                    assertThat(c.closedByServer()).isTrue();
                }
                assertThat(up.receivedCount()).isZero();
                try (RawHttp c = new RawHttp(sluice.port("main"))) { // a direct client: no header, its own address
                    c.send(GET);
                    assertThat(c.read().status()).isEqualTo(200);
                    assertThat(up.next().header("X-Real-IP")).isEqualTo("127.0.0.1");
                }
            }
        }
    }

    @Test
    void curlHaproxyProtocolOverHttpAndHttps() throws Exception {
        Tools.assumeInstalled("curl");
        io.sluice.tls.TestPki pki = new io.sluice.tls.TestPki(Files.createTempDirectory("pp-tls"), "pp");
        io.sluice.tls.TestPki.Issued site = pki.issue("site", "localhost", "127.0.0.1");
        String yaml = YAML + """
                  - name: secure
                    address: 127.0.0.1:0
                    protocol: https
                    proxy_protocol: true
                    tls: { certificates: [ { cert: "${CERT}", key: "${KEY}" } ] }
                    routes:
                      - upstream: app
                """;
        yaml = yaml.replace("upstreams:\n  app:\n    endpoints: [ { address: \"${UP1}\" } ]\n", "")
                + "upstreams:\n  app:\n    endpoints: [ { address: \"${UP1}\" } ]\n";
        try (TestUpstream up = TestUpstream.start("app")) {
            Map<String, String> env = Map.of("UP1", up.address(), "CERT", site.cert().toString(),
                    "KEY", site.key().toString());
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, env)) {
                Tools.Result plain = Tools.run("curl", "-sS", "--haproxy-protocol",
                        "http://127.0.0.1:" + sluice.port("main") + "/p");
                assertThat(plain.out()).isEqualTo("app\n");
                Tools.Result tls = Tools.run("curl", "-sS", "-k", "--haproxy-protocol",
                        "https://127.0.0.1:" + sluice.port("secure") + "/s");
                assertThat(tls.out()).as(tls.err()).isEqualTo("app\n");
                Tools.Result without = Tools.run("curl", "-sS", "http://127.0.0.1:" + sluice.port("main") + "/n");
                assertThat(without.exit()).isNotZero(); // no header: closed without an answer
                assertThat(up.next().header("X-Real-IP")).isEqualTo("127.0.0.1");
                assertThat(up.next().header("X-Forwarded-Proto")).isEqualTo("https");
                assertThat(up.receivedCount()).isZero();
            }
        }
    }

    @Test
    void tlsAfterAHandBuiltHeader() throws Exception {
        io.sluice.tls.TestPki pki = new io.sluice.tls.TestPki(Files.createTempDirectory("pp-tls"), "pp");
        io.sluice.tls.TestPki.Issued site = pki.issue("site", "localhost", "127.0.0.1");
        String yaml = """
                listeners:
                  - name: secure
                    address: 127.0.0.1:0
                    protocol: https
                    proxy_protocol: true
                    tls: { certificates: [ { cert: "${CERT}", key: "${KEY}" } ] }
                    routes:
                      - upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream up = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", up.address(),
                     "CERT", site.cert().toString(), "KEY", site.key().toString()))) {
            Socket raw = new Socket("127.0.0.1", sluice.port("secure"));
            raw.getOutputStream().write(v2(false, ip("203.0.113.9"), ip("192.0.2.1"), 5555, 443));
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) pki.clientContext(null).getSocketFactory()
                    .createSocket(raw, "localhost", raw.getPort(), true);
            try (RawHttp c = new RawHttp(tls)) {
                c.send(GET);
                assertThat(c.read().status()).isEqualTo(200);
            }
            assertThat(up.next().header("X-Real-IP")).isEqualTo("203.0.113.9");
        }
    }

    @Test
    void tcpListenerPassesWhatFollowsTheHeader() throws Exception {
        String yaml = """
                listeners:
                  - name: db
                    address: 127.0.0.1:0
                    protocol: tcp
                    proxy_protocol: true
                    upstream: echo
                upstreams:
                  echo:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (RawServer echo = new RawServer((socket, i) -> socket.getInputStream().transferTo(socket.getOutputStream()));
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", echo.address()))) {
            try (Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
                s.setSoTimeout(10_000);
                // the header and the first bytes in one write: those bytes must not be lost
                s.getOutputStream().write(concat(v1("PROXY TCP4 203.0.113.7 192.0.2.1 51000 5432\r\n"), "hello\n"));
                assertThat(new String(s.getInputStream().readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("hello\n");
            }
            try (Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII)); // no header
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(echo.accepted()).isEqualTo(1);
        }
    }

    @Test
    void haproxySendProxyV2() throws Exception {
        Tools.assumeInstalled("haproxy");
        try (TestUpstream up = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            int port = freePort();
            Path dir = Files.createTempDirectory("haproxy");
            Path cfg = dir.resolve("haproxy.cfg");
            Files.writeString(cfg, """
                    defaults
                      mode http
                      timeout connect 5s
                      timeout client 30s
                      timeout server 30s
                    frontend fe
                      bind 127.0.0.1:%d
                      http-request set-src req.hdr(X-Test-Src)
                      default_backend be
                    backend be
                      server sluice 127.0.0.1:%d send-proxy-v2
                    """.formatted(port, sluice.port("main")));
            Process haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            try {
                Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> {
                            new Socket("127.0.0.1", port).close();
                            return true;
                        });
                HttpClient client = HttpClient.newHttpClient();
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/h"))
                        .header("X-Test-Src", "198.51.100.23").build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(Files.readString(dir.resolve("log"))).isEqualTo(200);
                TestUpstream.Received got = up.next();
                assertThat(got.header("X-Real-IP")).isEqualTo("198.51.100.23");
                assertThat(got.header("X-Forwarded-For")).isEqualTo("198.51.100.23");
            } finally {
                haproxy.destroy();
                haproxy.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String readLine(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            b.append((char) c);
        }
        return b.toString();
    }

    static void unused(OutputStream o) {
    }
}
