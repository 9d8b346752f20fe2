package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.tls.TestPki;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parking: an HTTP/1.1 connection that waits a second for its next request gives up its codec and handler
 * (DownstreamHandler, ParkedConnection) and gets new ones with its next bytes. Nothing a client does may
 * tell: requests after parking (pipelined, in pieces, with long header lines, h2c upgrades), the timeouts
 * it is under, a stop, and a response still being sent when the second is up.
 */
class IdleConnectionParkingTest {
    /** Longer than DownstreamHandler.PARK_AFTER_NANOS: a connection that may be parked is parked after this. */
    private static final long PARKED_MILLIS = 1_500;

    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki.Issued site;
    static String big;

    @BeforeAll
    static void files() throws Exception {
        pki = new TestPki(dir, "test");
        site = pki.issue("site", "site.test", "127.0.0.1");
        Files.createDirectories(dir.resolve("www"));
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < 8 * 1024 * 1024; i++) {
            b.append(i).append('\n');
        }
        big = b.toString();
        Files.writeString(dir.resolve("www/big.txt"), big);
    }

    private static final String YAML = """
            server:
              client_timeouts: { idle: "${IDLE:-20s}", request_head: 600ms, request_body: 5s, send: 5s }
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - { match: { path_prefix: /ok }, respond: { status: 200, body: "ok\\n" } }
                  - { match: { path_prefix: /files/ }, strip_prefix: /files, static: { root: "${ROOT}" } }
                  - { upstream: app }
              - name: secure
                address: 127.0.0.1:0
                protocol: https
                tls:
                  certificates: [ { cert: "${SITE_CRT}", key: "${SITE_KEY}" } ]
                routes:
                  - { match: { path_prefix: /ok }, respond: { status: 200, body: "ok\\n" } }
                  - { match: { path_prefix: /files/ }, strip_prefix: /files, static: { root: "${ROOT}" } }
                  - { upstream: app }
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
            admin:
              address: 127.0.0.1:0
            """;

    private static Map<String, String> env(TestUpstream up, String idle) {
        Map<String, String> env = new HashMap<>(TestUpstream.env(up));
        env.put("ROOT", dir.resolve("www").toString());
        env.put("SITE_CRT", site.cert().toString());
        env.put("SITE_KEY", site.key().toString());
        if (idle != null) {
            env.put("IDLE", idle);
        }
        return env;
    }

    /** Waits until the listener's one client connection is parked (sluice_downstream_connections_parked). */
    private static void parked(SluiceUnderTest sluice, String listener) {
        await().atMost(Duration.ofSeconds(60)).until(() -> parkedCount(sluice, listener) == 1);
    }

    /**
     * Lets the parking delay pass while a response is still on its way, then checks that the connection was
     * not parked under it: showing that something does not happen takes the time it would take.
     */
    private static void notParkedWhileSending(SluiceUnderTest sluice, String listener) throws Exception {
        Thread.sleep(PARKED_MILLIS);
        assertThat(parkedCount(sluice, listener)).as("parked while a response was on its way").isZero();
    }

    private static int parkedCount(SluiceUnderTest sluice, String listener) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^sluice_downstream_connections_parked\\{listener=\"" + listener
                + "\"} ([0-9.]+)$").matcher(metrics);
        return m.find() ? (int) Double.parseDouble(m.group(1)) : 0;
    }

    private static RawHttp tls(int port) throws Exception {
        SSLSocket socket = (SSLSocket) pki.clientContext(null).getSocketFactory().createSocket("127.0.0.1", port);
        socket.startHandshake();
        return new RawHttp(socket);
    }

    @Test
    void aParkedConnectionServesWhatComesNext() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up, null));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);

            parked(sluice, "main"); // a long header line: the new decoder's line buffer grows as the first one did
            String cookie = "c=" + "x".repeat(3000);
            RawHttp.Response forwarded = client.send("GET /up HTTP/1.1\r\nHost: t\r\nCookie: " + cookie + "\r\n\r\n").read();
            assertThat(forwarded.status()).isEqualTo(200);
            assertThat(forwarded.bodyText()).isEqualTo("a\n");
            assertThat(up.next().header("Cookie")).isEqualTo(cookie);

            parked(sluice, "main"); // two pipelined requests in one write: answered in order
            client.send("GET /ok/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /p HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("ok\n");
            assertThat(client.read().bodyText()).isEqualTo("a\n");

            parked(sluice, "main"); // a head in two pieces: the first wakes the connection, the second completes it
            client.send("GET /ok HTTP/1.1\r\nHo");
            Thread.sleep(100);
            assertThat(client.send("st: t\r\n\r\n").read().status()).isEqualTo(200);

            parked(sluice, "main"); // a HEAD: the new encoder must know the method from the new decoder
            RawHttp.Response head = client.send("HEAD /ok HTTP/1.1\r\nHost: t\r\n\r\n").read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().bodyText()).isEqualTo("ok\n");
        }
    }

    @Test
    void aParkedConnectionStillClosesWhenIdleRunsOut() throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up, "2500ms"));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            long asked = System.nanoTime();
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);

            assertThat(client.socket().getInputStream().read()).isEqualTo(-1); // no answer: nothing was asked
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
            assertThat(waited).as("not before idle ran out").isGreaterThanOrEqualTo(2500L);
        }
    }

    @Test
    void aHeadStartedOnAParkedConnectionIsTimedAsRequestHead() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up, null));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
            parked(sluice, "main");

            long sent = System.nanoTime();
            RawHttp.Response r = client.send("GET /ok HTTP/1.1\r\nHost: t\r\nX-Slow: ").read(); // and no more
            assertThat(r.status()).isEqualTo(408);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent)).as("not before request_head ran out")
                    .isGreaterThanOrEqualTo(500L);
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void anH2cUpgradeOnAParkedConnection() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up, null));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            // Upgrade: h2c without HTTP2-Settings is no upgrade: answered over HTTP/1.1, the connection goes on
            RawHttp.Response plain = client.send("GET /ok HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\n"
                    + "Upgrade: h2c\r\n\r\n").read();
            assertThat(plain.status()).isEqualTo(200);
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
            parked(sluice, "main");

            RawHttp.Response switching = client.send("GET /ok HTTP/1.1\r\nHost: t\r\n"
                    + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
                    .read();
            assertThat(switching.status()).isEqualTo(101);
            assertThat(switching.header("Upgrade")).isEqualTo("h2c");
            byte[] frame = client.readBytes(9); // the server's connection preface: a SETTINGS frame
            assertThat(frame).hasSize(9);
            assertThat(frame[3]).isEqualTo((byte) 0x4);
        }
    }

    @Test
    void stoppingClosesParkedConnectionsAtOnce() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up, null));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
            parked(sluice, "main");

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> sluice.stop(Duration.ofMinutes(10)));
            assertThat(client.closedByServer()).isTrue();
            stopping.get(60, TimeUnit.SECONDS); // not the 10 minutes a connection still busy would get
        }
    }

    @Test
    void overTlsAndWhileAStaticFileIsStillBeingRead() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up, null));
             RawHttp client = tls(sluice.port("secure"))) {
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
            parked(sluice, "secure");

            // 8 MiB in chunks through TLS to a client that reads nothing for a while: the request is long
            // answered, the body is not sent yet, so the connection must not be parked under it.
            client.send("GET /files/big.txt HTTP/1.1\r\nHost: t\r\n\r\n");
            notParkedWhileSending(sluice, "secure");
            RawHttp.Response file = client.read();
            assertThat(file.status()).isEqualTo(200);
            assertThat(file.bodyText()).isEqualTo(big);

            parked(sluice, "secure");
            assertThat(client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n").read().bodyText()).isEqualTo("a\n");
        }
    }

    @Test
    void aStaticFileOverPlainHttpToASlowReader() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up, null));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /files/big.txt HTTP/1.1\r\nHost: t\r\n\r\n");
            notParkedWhileSending(sluice, "main");
            assertThat(client.read().bodyText()).isEqualTo(big);
            parked(sluice, "main");
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().body())
                    .isEqualTo("ok\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aStaticDownloadSlowerThanIdleIsNotCutByIdle() throws Exception {
        // idle 1 s, send 5 s: the download takes about 3 s at 256 KiB per 100 ms, and the client never stops
        // taking bytes for 5 s, so neither timeout applies (the file is still going out when the handler is
        // done with the request: that is send's business, not idle's).
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up, "1s"));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /files/big.txt HTTP/1.1\r\nHost: t\r\n\r\n");
            java.io.InputStream in = client.socket().getInputStream();
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[256 * 1024];
            int head = -1;
            while (head < 0 || got.size() - head < big.length()) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                got.write(buf, 0, n);
                if (head < 0) {
                    head = got.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
                    head = head < 0 ? -1 : head + 4;
                }
                Thread.sleep(100); // a slow reader: pacing, not waiting for a condition
            }
            assertThat(got.size() - head).isEqualTo(big.length());
        }
    }
}
