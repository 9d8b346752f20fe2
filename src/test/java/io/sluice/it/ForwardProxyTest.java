package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code forward_proxy}: CONNECT tunnels and absolute-form requests with curl -x, pooling per destination,
 * the idle timeout, and an access-rule suite that tries every way around the rules it knows (numeric and
 * octal IPv4, IPv4-mapped IPv6, localhost, a name whose DNS answer is internal, a port not allowed): none
 * reaches the protected server.
 */
class ForwardProxyTest {
    static final String YAML = """
            server:
              resolver: { nameservers: [ "${DNS}" ] }
            listeners:
              - name: egress
                address: 127.0.0.1:0
                idle_timeout: ${IDLE:-1m}
                forward_proxy:
                  allow: ["*.example.test:80", "ok.example.test", "127.0.0.1:${OPEN}"]
                  deny: ["denied.example.test"]
            access_log:
              format: json
              path: ${LOG}
            admin:
              address: 127.0.0.1:0
            """;

    private static Map<String, String> env(TestDnsServer dns, int open, Path log, String idle) {
        return Map.of("DNS", dns.address(), "OPEN", "" + open, "LOG", log.toString(), "IDLE", idle);
    }

    /** An HTTP/1.1 server answering every request on a connection "ok". */
    private static RawServer okServer() throws Exception {
        return new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (RawServer.readHead(in) != null) {
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        });
    }

    @Test
    void curlConnectAndAbsoluteForm() throws Exception {
        Tools.assumeInstalled("curl");
        Path log = Files.createTempDirectory("fwd").resolve("access.log");
        try (TestDnsServer dns = new TestDnsServer(); TestUpstream open = TestUpstream.start("open")) {
            dns.set("ok.example.test", "127.0.0.1", 60);
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(dns, open.port(), log, "1m"))) {
                String proxy = "http://127.0.0.1:" + sluice.port("egress");
                Tools.Result plain = Tools.run("curl", "-sS", "-x", proxy, "-U", "user:secret",
                        "-H", "Proxy-Connection: keep-alive", "http://127.0.0.1:" + open.port() + "/plain?q=1");
                assertThat(plain.out()).as(plain.err()).isEqualTo("open\n");
                TestUpstream.Received got = open.next();
                assertThat(got.uri()).isEqualTo("/plain?q=1");
                assertThat(got.header("Proxy-Authorization")).isNull();
                assertThat(got.header("Proxy-Connection")).isNull();
                assertThat(got.header("Host")).isEqualTo("127.0.0.1:" + open.port());

                Tools.Result tunnel = Tools.run("curl", "-sS", "-p", "-x", proxy,
                        "http://ok.example.test:" + open.port() + "/tunnel");
                assertThat(tunnel.out()).as(tunnel.err()).isEqualTo("open\n");
                assertThat(open.next().uri()).isEqualTo("/tunnel");

                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(log)
                        && Files.readString(log).contains("\"connect\""));
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(sluice.adminUri("/metrics"))
                        .build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("route=\"connect\"").contains("route=\"forward\"");
            }
        }
    }

    @Test
    void originFormIs400AndAbsoluteFormIsPooledPerDestination() throws Exception {
        Path log = Files.createTempDirectory("fwd").resolve("access.log");
        try (TestDnsServer dns = new TestDnsServer();
             RawServer open = okServer();
             // one event loop: pools are per loop, and one pool shows the pooling
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("server:\n", "server:\n  workers: 1\n"),
                     env(dns, open.port(), log, "1m"))) {
            try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                c.send("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(400);
            }
            for (int client = 0; client < 3; client++) {
                try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                    c.send("GET http://127.0.0.1:" + open.port() + "/" + client + " HTTP/1.1\r\nHost: ignored\r\n\r\n");
                    assertThat(c.read().status()).isEqualTo(200);
                }
            }
            assertThat(open.accepted()).isEqualTo(1); // one pooled connection served every client
        }
    }

    /**
     * A name is checked when its connection opens: a reload that stops allowing it must not leave a pooled
     * connection that still reaches it (found by a review: the pooled connection answered 200 after the reload).
     */
    @Test
    void aReloadThatRefusesADestinationLeavesNoPooledConnectionToIt() throws Exception {
        Path log = Files.createTempDirectory("fwd").resolve("access.log");
        try (TestDnsServer dns = new TestDnsServer();
             RawServer open = okServer()) {
            dns.set("ok.example.test", "127.0.0.1", 60);
            String yaml = YAML.replace("server:\n", "server:\n  workers: 1\n");
            Map<String, String> env = env(dns, open.port(), log, "1m");
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, env)) {
                String request = "GET http://ok.example.test:" + open.port() + "/ HTTP/1.1\r\nHost: x\r\n\r\n";
                try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                    c.send(request);
                    assertThat(c.read().status()).isEqualTo(200);
                }
                // neither the name nor the address it resolves to is allowed any longer
                sluice.reload(yaml.replace("\"ok.example.test\", \"127.0.0.1:${OPEN}\"", "\"192.0.2.1:80\""), env);
                try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                    c.send(request);
                    assertThat(c.read().status()).isEqualTo(403);
                }
                assertThat(open.accepted()).isEqualTo(1);
            }
        }
    }

    /**
     * An absolute-form request that also asks for h2c by Upgrade is forwarded as HTTP/1.1 without the upgrade:
     * the upgrade check turned its target into origin-form first, and the forward proxy answered 400.
     */
    @Test
    void anAbsoluteFormRequestAskingForH2cIsForwardedNotUpgraded() throws Exception {
        Path log = Files.createTempDirectory("fwd").resolve("access.log");
        try (TestDnsServer dns = new TestDnsServer(); TestUpstream open = TestUpstream.start("open");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(dns, open.port(), log, "1m"));
             RawHttp c = new RawHttp(sluice.port("egress"))) {
            c.send("GET http://127.0.0.1:" + open.port() + "/up HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
            RawHttp.Response response = c.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(new String(response.body(), StandardCharsets.US_ASCII)).isEqualTo("open\n");
            assertThat(open.next().uri()).isEqualTo("/up");
        }
    }

    /** Each of these must be refused (400 or 403) and reach neither the protected server nor anything else. */
    @Test
    void accessRulesCannotBeGotAround() throws Exception {
        Path log = Files.createTempDirectory("fwd").resolve("access.log");
        try (TestDnsServer dns = new TestDnsServer(); TestUpstream open = TestUpstream.start("open");
             TestUpstream secret = TestUpstream.start("secret")) {
            dns.set("rebind.example.test", "127.0.0.1", 0);  // allowed name (on :80), loopback answer
            dns.set("private.example.test", "10.0.0.1", 0);
            dns.set("ok.example.test", "127.0.0.1", 0);
            dns.set("denied.example.test", "127.0.0.1", 0);
            int s = secret.port();
            List<String> connectTargets = List.of(
                    "127.0.0.1:" + s, "2130706433:" + s, "0177.0.0.1:" + s, "0x7f.0.0.1:" + s, "127.1:" + s,
                    "0177.0.0.1:" + open.port(), "2130706433:" + open.port(),
                    "[::ffff:127.0.0.1]:" + s, "[::ffff:7f00:1]:" + s, "[::1]:" + s, "[::]:" + s, "[0:0:0:0:0:0:0:1]:" + s,
                    "[::127.0.0.1]:" + s, "[64:ff9b::7f00:1]:" + s, "0.0.0.0:" + s, "localhost:" + s,
                    "LOCALHOST.:" + s, "ok.example.test:" + s,
                    "rebind.example.test:80", "private.example.test:80", "denied.example.test:" + open.port(),
                    "rebind.example.test:" + s, "127.0.0.1:" + s + "@x", "127.0.0.1", "127.0.0.1:0",
                    "127.0.0.1:65536", "%31%32%37.0.0.1:" + s);
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(dns, open.port(), log, "1m"))) {
                for (String target : connectTargets) {
                    try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                        c.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
                        assertThat(c.read().status()).as("CONNECT " + target).isIn(400, 403);
                    }
                }
                List<String> absolute = List.of(
                        "http://127.0.0.1:" + s + "/", "http://2130706433:" + s + "/", "http://0177.0.0.1:" + s + "/",
                        "http://[::ffff:127.0.0.1]:" + s + "/", "http://localhost:" + s + "/",
                        "http://rebind.example.test/", "http://private.example.test/",
                        "http://127.0.0.1:" + open.port() + "@127.0.0.1:" + s + "/",
                        "http://ok.example.test:" + s + "/");
                for (String target : absolute) {
                    try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                        c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
                        assertThat(c.read().status()).as("GET " + target).isIn(400, 403);
                    }
                }
                // the allowed ones do get through: the suite is not refusing everything
                try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                    c.send("CONNECT ok.example.test:" + open.port() + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(c.read(true).status()).isEqualTo(200);
                }
                try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                    c.send("GET http://[::ffff:127.0.0.1]:" + open.port() + "/ HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(c.read().status()).isEqualTo(200); // the same allowed address, written another way
                }
                // DNS rebinding: the allowed answer turns internal; the next connection is checked again
                dns.set("ok.example.test", "10.0.0.1", 0);
                try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                    c.send("CONNECT ok.example.test:" + open.port() + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(c.read().status()).isEqualTo(403);
                }
                assertThat(secret.receivedCount()).isZero();
            }
        }
    }

    @Test
    void tunnelCarriesLargeTransfersAndClosesWhenIdle() throws Exception {
        Path log = Files.createTempDirectory("fwd").resolve("access.log");
        long size = 16L * 1024 * 1024;
        try (TestDnsServer dns = new TestDnsServer();
             RawServer echo = new RawServer((socket, i) -> socket.getInputStream().transferTo(socket.getOutputStream()));
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(dns, echo.port(), log, "1s"));
             Socket socket = new Socket("127.0.0.1", sluice.port("egress"))) {
            socket.setSoTimeout(30_000);
            RawHttp c = new RawHttp(socket);
            c.send("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(true).status()).isEqualTo(200);
            byte[] block = new byte[64 * 1024];
            new Random(3).nextBytes(block);
            CRC32 sent = new CRC32();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (long done = 0; done < size; done += block.length) {
                        socket.getOutputStream().write(block);
                        sent.update(block);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            CRC32 got = new CRC32();
            long total = 0;
            while (total < size) {
                byte[] part = c.readBytes((int) Math.min(block.length, size - total));
                got.update(part);
                total += part.length;
            }
            writer.get(60, TimeUnit.SECONDS);
            assertThat(got.getValue()).isEqualTo(sent.getValue());
            assertThat(c.closedByServer()).isTrue(); // idle_timeout: 1s with nothing either way
        }
    }
}
