package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.tls.TestPki;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** https listeners with real clients: the JDK's HttpClient (h2 and HTTP/1.1 over TLS) and raw TLS sockets. */
class HttpsTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki.Issued site;
    static TestPki.Issued wild;
    static TestPki.Issued client;

    @BeforeAll
    static void certificates() throws Exception {
        pki = new TestPki(dir, "test");
        site = pki.issue("site", "site.test", "127.0.0.1");
        wild = pki.issue("wild", "*.wild.test");
        client = pki.issue("client", "client.test");
        Files.createDirectories(dir.resolve("www"));
        Files.writeString(dir.resolve("www/big.txt"), "0123456789abcdef".repeat(10_000));
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP_2", "HTTP_1_1"})
    void staticFilesOverTls(String version) throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(""), env(up))) {
            HttpClient c = HttpClient.newBuilder().sslContext(pki.clientContext(null))
                    .version(HttpClient.Version.valueOf(version)).build();
            for (int i = 0; i < 2; i++) { // on h2 the second is a new stream of the same connection
                HttpResponse<String> r = c.send(HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:"
                        + sluice.port("secure") + "/files/big.txt")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.version().name()).isEqualTo(version);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("0123456789abcdef".repeat(10_000));
            }
        }
    }

    @Test
    void aStaticFileThatShrinksWhileItIsSentEndsTheConnectionAndTheProxyGoesOn() throws Exception {
        // big enough that the proxy stops reading the file while the client does not read (socket buffers full)
        Path file = dir.resolve("www/shrinking.bin");
        long size = 48L << 20;
        try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer block = java.nio.ByteBuffer.wrap("0123456789abcdef".repeat(4096).getBytes(StandardCharsets.US_ASCII));
            for (long written = 0; written < size; written += block.capacity()) {
                block.rewind();
                out.write(block);
            }
        }
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(""), env(up))) {
            SSLSocket socket = (SSLSocket) pki.clientContext(null).getSocketFactory().createSocket();
            socket.setReceiveBufferSize(16 * 1024); // before connecting: the window stays small
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", sluice.port("secure")));
            try (RawHttp client = new RawHttp(socket)) {
                client.send("GET /files/shrinking.bin HTTP/1.1\r\nHost: h\r\n\r\n");
                RawHttp.Response head = client.readHead();
                assertThat(head.status()).isEqualTo(200);
                assertThat(head.header("Content-Length")).isEqualTo(Long.toString(size));
                long received = client.readBytes(64 * 1024).length;

                try (java.nio.channels.FileChannel shrink = java.nio.channels.FileChannel.open(file,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    shrink.truncate(1L << 20);
                }
                socket.setSoTimeout(30_000); // a safety net: without the fix nothing more comes and nothing ends
                while (true) {
                    byte[] part;
                    try {
                        part = client.readBytes(1 << 20);
                    } catch (java.net.SocketTimeoutException e) {
                        throw e;
                    } catch (IOException e) {
                        break; // a reset or a TLS alert: the connection ended
                    }
                    received += part.length;
                    if (part.length < 1 << 20) {
                        break; // end of stream
                    }
                }
                assertThat(received).isLessThan(size);
            }
            // the worker that served the file is not busy writing empty chunks: every connection is answered
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> r = HttpClient.newBuilder().sslContext(pki.clientContext(null))
                        .version(HttpClient.Version.HTTP_1_1).build()
                        .send(HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + sluice.port("secure")
                                + "/local")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP_2", "HTTP_1_1"})
    void aRespondRoutes204HasNoContentLength(String version) throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(""), env(up))) {
            HttpClient c = HttpClient.newBuilder().sslContext(pki.clientContext(null))
                    .version(HttpClient.Version.valueOf(version)).build();
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:"
                    + sluice.port("secure") + "/nothing")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.version().name()).isEqualTo(version);
            assertThat(r.statusCode()).isEqualTo(204);
            assertThat(r.headers().firstValue("content-length")).isEmpty(); // RFC 9110 §8.6
            assertThat(r.body()).isEmpty();
        }
    }

    static String yaml(String tlsExtra) {
        return """
                listeners:
                  - name: secure
                    address: 127.0.0.1:0
                    protocol: https
                    tls:
                      certificates:
                        - { cert: "${SITE_CRT}", key: "${SITE_KEY}" }
                        - { cert: "${WILD_CRT}", key: "${WILD_KEY}" }
                """ + tlsExtra + """
                    routes:
                      - { match: { path_prefix: /local }, respond: { status: 200, body: "local\\n" } }
                      - { match: { path_prefix: /nothing }, respond: { status: 204 } }
                      - { match: { path_prefix: /files/ }, strip_prefix: /files, static: { root: "${ROOT}" } }
                      - { upstream: app }
                  - name: plain
                    address: 127.0.0.1:0
                    redirect_to_https: true
                    https_port: 8443
                    routes:
                      - { upstream: app }
                upstreams:
                  app:
                    endpoints:
                      - { address: "${UP1}" }
                """;
    }

    static Map<String, String> env(TestUpstream up) {
        Map<String, String> env = new HashMap<>(TestUpstream.env(up));
        env.put("SITE_CRT", site.cert().toString());
        env.put("SITE_KEY", site.key().toString());
        env.put("WILD_CRT", wild.cert().toString());
        env.put("WILD_KEY", wild.key().toString());
        env.put("CLIENT_CA", pki.caFile().toString());
        env.put("ROOT", dir.resolve("www").toString());
        return env;
    }

    @ParameterizedTest
    @ValueSource(strings = {"openssl", "jdk"})
    void http2OverTlsWithEitherProvider(String provider) throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("      provider: " + provider + "\n"), env(up))) {
            HttpClient h2 = HttpClient.newBuilder().sslContext(pki.clientContext(null))
                    .version(HttpClient.Version.HTTP_2).build();
            String base = "https://127.0.0.1:" + sluice.port("secure");
            HttpResponse<String> r = h2.send(HttpRequest.newBuilder(java.net.URI.create(base + "/x?q=1"))
                    .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("a\n");
            TestUpstream.Received got = up.next();
            assertThat(got.uri()).isEqualTo("/x?q=1");
            assertThat(got.bodyText()).isEqualTo("hello");
            assertThat(got.header("X-Forwarded-Proto")).isEqualTo("https");
            assertThat(got.header("Host")).isEqualTo("127.0.0.1:" + sluice.port("secure"));

            HttpClient h1 = HttpClient.newBuilder().sslContext(pki.clientContext(null))
                    .version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> local = h1.send(HttpRequest.newBuilder(java.net.URI.create(base + "/local")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(local.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(local.body()).isEqualTo("local\n");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"openssl", "jdk"})
    void sniPicksTheCertificateWithTheFirstAsDefault(String provider) throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("      provider: " + provider + "\n"), env(up))) {
            int port = sluice.port("secure");
            assertThat(peerNames(port, "site.test", "TLSv1.3")).contains("site.test");
            assertThat(peerNames(port, "api.wild.test", "TLSv1.3")).containsExactly("*.wild.test");
            assertThat(peerNames(port, "API.WILD.TEST", "TLSv1.2")).containsExactly("*.wild.test");
            assertThat(peerNames(port, "unknown.test", "TLSv1.2")).contains("site.test");
            assertThat(peerNames(port, null, "TLSv1.3")).contains("site.test");
        }
    }

    @Test
    void curlNegotiatesH2AndSeesTheSniCertificate() throws Exception {
        Tools.assumeInstalled("curl");
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(""), env(up))) {
            int port = sluice.port("secure");
            Tools.Result site = Tools.run("curl", "-sS", "-v", "--max-time", "10", "--http2", "--cacert",
                    pki.caFile().toString(), "--resolve", "site.test:" + port + ":127.0.0.1", "-w", "\\n%{http_version}",
                    "https://site.test:" + port + "/local");
            assertThat(site.out()).as(site.err()).isEqualTo("local\n\n2");
            assertThat(site.err()).contains("ALPN: server accepted h2").contains("CN=site.test");
            Tools.Result wildcard = Tools.run("curl", "-sS", "-v", "--max-time", "10", "--http1.1", "--cacert",
                    pki.caFile().toString(), "--resolve", "api.wild.test:" + port + ":127.0.0.1", "-w", "\\n%{http_version}",
                    "https://api.wild.test:" + port + "/local");
            assertThat(wildcard.out()).as(wildcard.err()).isEqualTo("local\n\n1.1");
            assertThat(wildcard.err()).contains("CN=*.wild.test");
        }
    }

    @Test
    void nghttpOverTls() throws Exception {
        Tools.assumeInstalled("nghttp");
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(""), env(up))) {
            String url = "https://127.0.0.1:" + sluice.port("secure") + "/local";
            Tools.Result r = Tools.run("nghttp", "-n", "-s", "-t", "10", url, url, url);
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("/local");
        }
    }

    @Test
    void oldProtocolsAreRefused() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(""), env(up))) {
            assertThatThrownBy(() -> peerNames(sluice.port("secure"), "site.test", "TLSv1.1"))
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void httpListenerRedirectsToHttpsWith308() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(""), env(up));
             RawHttp raw = new RawHttp(sluice.port("plain"))) {
            RawHttp.Response r = raw.send("POST /p/a?x=1&y=2 HTTP/1.1\r\nHost: www.example.com:8080\r\n"
                    + "Content-Length: 0\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(308);
            assertThat(r.header("Location")).isEqualTo("https://www.example.com:8443/p/a?x=1&y=2");
            assertThat(up.receivedCount()).isZero();
        }
    }

    @Test
    void clientCertificateRequired() throws Exception {
        String mtls = "      client_ca: \"${CLIENT_CA}\"\n      client_auth: require\n";
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(mtls), env(up))) {
            java.net.URI uri = java.net.URI.create("https://127.0.0.1:" + sluice.port("secure") + "/local");
            HttpClient with = HttpClient.newBuilder().sslContext(pki.clientContext(client)).build();
            assertThat(with.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .isEqualTo("local\n");
            HttpClient without = HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
            assertThatThrownBy(() -> without.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
        }
    }

    @Test
    void clientCertificateOptional() throws Exception {
        String mtls = "      client_ca: \"${CLIENT_CA}\"\n      client_auth: optional\n";
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(yaml(mtls), env(up))) {
            java.net.URI uri = java.net.URI.create("https://127.0.0.1:" + sluice.port("secure") + "/local");
            HttpClient without = HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
            assertThat(without.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .isEqualTo("local\n");
        }
    }

    @Test
    void certificateFilesAreReloadedWithoutDroppingOpenConnections() throws Exception {
        Path crt = dir.resolve("live.crt");
        Path key = dir.resolve("live.key");
        TestPki.Issued v1 = pki.issue("v1", "live.test", "old.live.test");
        Files.copy(v1.cert(), crt, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(v1.key(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String yaml = """
                listeners:
                  - name: secure
                    address: 127.0.0.1:0
                    protocol: https
                    tls:
                      reload_interval: 100ms
                      certificates:
                        - { cert: "${CRT}", key: "${KEY}" }
                    routes:
                      - respond: { status: 200, body: "ok\\n" }
                """;
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("CRT", crt.toString(), "KEY", key.toString()))) {
            int port = sluice.port("secure");
            SSLSocket open = connect(port, "live.test", "TLSv1.3");
            assertThat(names((X509Certificate) open.getSession().getPeerCertificates()[0])).contains("old.live.test");

            TestPki.Issued v2 = pki.issue("v2", "live.test", "new.live.test");
            Path tmp = dir.resolve("live.tmp");
            Files.copy(v2.key(), tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Files.copy(v2.cert(), tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, crt, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);

            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> peerNames(port, "live.test", "TLSv1.3").contains("new.live.test"));
            // the connection opened before the swap still works
            open.getOutputStream().write("GET / HTTP/1.1\r\nHost: live.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            open.getOutputStream().flush();
            byte[] buf = new byte[4096];
            int n = open.getInputStream().read(buf);
            assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200").endsWith("ok\n");
            open.close();
        }
    }

    static SSLSocket connect(int port, String sni, String protocol) throws Exception {
        SSLContext ctx = pki.clientContext(null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        p.setProtocols(new String[] {protocol});
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    static List<String> peerNames(int port, String sni, String protocol) throws Exception {
        try (SSLSocket s = connect(port, sni, protocol)) {
            assertThat(s.getSession().getProtocol()).isEqualTo(protocol);
            return names((X509Certificate) s.getSession().getPeerCertificates()[0]);
        }
    }

    static List<String> names(X509Certificate cert) throws Exception {
        return cert.getSubjectAlternativeNames().stream().map(l -> (String) l.get(1)).toList();
    }
}
