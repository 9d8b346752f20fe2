package io.sluice.it;

import static io.sluice.it.ProxyProtocolTest.concat;
import static io.sluice.it.ProxyProtocolTest.ip;
import static io.sluice.it.ProxyProtocolTest.v1;
import static io.sluice.it.ProxyProtocolTest.v2;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code send_proxy_protocol: v1|v2}: every new upstream connection (tcp and http upstreams, and health checks)
 * starts with a PROXY header naming the client; an http upstream connection serves one client only: it is
 * reused for that client's next requests and closed when the client goes. Checked
 * against a raw server that parses the header and against nginx's {@code listen ... proxy_protocol}.
 */
class ProxyProtocolSendTest {

    /** Reads a v2 header from {@code in}: "SRC:PORT DST:PORT", or "LOCAL". */
    static String readV2(InputStream in) throws Exception {
        DataInputStream data = new DataInputStream(in);
        byte[] fixed = new byte[16];
        data.readFully(fixed);
        assertThat(java.util.Arrays.copyOf(fixed, 12)).isEqualTo(java.util.Arrays.copyOf(
                v2(true, null, null, 0, 0), 12));
        int length = ((fixed[14] & 0xff) << 8) | (fixed[15] & 0xff);
        byte[] rest = new byte[length];
        data.readFully(rest);
        if (fixed[12] == 0x20) {
            return "LOCAL";
        }
        int n = fixed[13] == 0x11 ? 4 : 16;
        InetAddress src = InetAddress.getByAddress(java.util.Arrays.copyOfRange(rest, 0, n));
        InetAddress dst = InetAddress.getByAddress(java.util.Arrays.copyOfRange(rest, n, 2 * n));
        int srcPort = ((rest[2 * n] & 0xff) << 8) | (rest[2 * n + 1] & 0xff);
        int dstPort = ((rest[2 * n + 2] & 0xff) << 8) | (rest[2 * n + 3] & 0xff);
        return src.getHostAddress() + ":" + srcPort + " " + dst.getHostAddress() + ":" + dstPort;
    }

    /** A mirror target with send_proxy_protocol gets the header too (found by a review: copies went without it). */
    @Test
    void mirroredCopiesCarryTheHeaderToo() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    proxy_protocol: true
                    routes:
                      - upstream: app
                        mirror: { upstream: shadow }
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                  shadow:
                    send_proxy_protocol: v1
                    endpoints: [ { address: "${UP2}" } ]
                """;
        java.util.concurrent.CompletableFuture<String> header = new java.util.concurrent.CompletableFuture<>();
        RawServer.ConnectionHandler ok = (socket, i) -> {
            InputStream in = socket.getInputStream();
            while (RawServer.readHead(in) != null) {
                socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
                        .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            }
        };
        try (RawServer app = new RawServer(ok);
             RawServer shadow = new RawServer((socket, i) -> {
                 InputStream in = socket.getInputStream();
                 header.complete(ProxyProtocolTest.readLine(in));
                 ok.handle(socket, i);
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", app.address(), "UP2", shadow.address()))) {
            try (RawHttp c = new RawHttp(sluice.port("main"))) {
                c.send(v2(false, ip("203.0.113.9"), ip("192.0.2.1"), 4100, 80));
                c.send("GET /copied HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(200);
            }
            assertThat(header.get(30, java.util.concurrent.TimeUnit.SECONDS))
                    .isEqualTo("PROXY TCP4 203.0.113.9 192.0.2.1 4100 80\r");
        }
    }

    @Test
    void tcpUpstreamGetsAV1HeaderNamingTheClient() throws Exception {
        String yaml = """
                listeners:
                  - name: db
                    address: 127.0.0.1:0
                    protocol: tcp
                    proxy_protocol: true
                    upstream: db
                upstreams:
                  db:
                    send_proxy_protocol: v1
                    endpoints: [ { address: "${UP1}" } ]
                """;
        List<String> headers = new CopyOnWriteArrayList<>();
        try (RawServer db = new RawServer((socket, i) -> {
            headers.add(ProxyProtocolTest.readLine(socket.getInputStream()));
            socket.getInputStream().transferTo(socket.getOutputStream());
        }); SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", db.address()))) {
            try (Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(concat(v2(false, ip("203.0.113.7"), ip("192.0.2.1"), 51000, 5432), "ping\n"));
                assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("ping\n");
            }
            assertThat(headers).containsExactly("PROXY TCP4 203.0.113.7 192.0.2.1 51000 5432\r");
        }
    }

    @Test
    void httpUpstreamConnectionsServeOneClientEachAndAreReusedForThatClient() throws Exception {
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    proxy_protocol: true
                    routes:
                      - upstream: app
                upstreams:
                  app:
                    send_proxy_protocol: v2
                    endpoints: [ { address: "${UP1}" } ]
                """;
        List<String> seen = new CopyOnWriteArrayList<>(); // per upstream connection: its header, then each X-Real-IP
        java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
        try (RawServer app = new RawServer((socket, i) -> {
            socket.setSoTimeout(0); // an idle pooled connection waits as long as its client stays
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            String header = readV2(in);
            OutputStream out = socket.getOutputStream();
            String head;
            while ((head = RawServer.readHead(in)) != null) {
                String realIp = head.lines().filter(l -> l.toLowerCase().startsWith("x-real-ip:"))
                        .map(l -> l.substring(10).trim()).findFirst().orElse("?");
                seen.add("connection " + i + ": " + header.substring(0, header.indexOf(':')) + " " + realIp);
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            ended.incrementAndGet(); // the proxy closed this connection
        }); SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", app.address()))) {
            int client = 0;
            for (String address : List.of("203.0.113.1", "203.0.113.2")) {
                try (RawHttp c = new RawHttp(sluice.port("main"))) {
                    c.send(v2(false, ip(address), ip("192.0.2.1"), 4000, 80));
                    for (int r = 0; r < 3; r++) {
                        c.send("GET /" + r + " HTTP/1.1\r\nHost: x\r\n\r\n");
                        assertThat(c.read().status()).isEqualTo(200);
                    }
                    assertThat(ended.get()).as("open while its client stays").isEqualTo(client);
                }
                int gone = ++client;
                // the client left: so does its upstream connection
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ended.get() == gone);
            }
            // One connection per client, reused for that client's requests, never for another client's.
            assertThat(seen).containsExactly(
                    "connection 0: 203.0.113.1 203.0.113.1", "connection 0: 203.0.113.1 203.0.113.1",
                    "connection 0: 203.0.113.1 203.0.113.1", "connection 1: 203.0.113.2 203.0.113.2",
                    "connection 1: 203.0.113.2 203.0.113.2", "connection 1: 203.0.113.2 203.0.113.2");
            assertThat(app.accepted()).isEqualTo(2);
        }
    }

    @Test
    void tcpHealthCheckSendsALocalHeader() throws Exception {
        String yaml = """
                listeners:
                  - name: db
                    address: 127.0.0.1:0
                    protocol: tcp
                    upstream: db
                upstreams:
                  db:
                    send_proxy_protocol: v2
                    health_check: { type: tcp, interval: 100ms, timeout: 1s }
                    endpoints: [ { address: "${UP1}" } ]
                """;
        List<String> headers = new CopyOnWriteArrayList<>();
        try (RawServer db = new RawServer((socket, i) -> headers.add(readV2(socket.getInputStream())));
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", db.address()))) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> headers.size() >= 2);
            assertThat(headers).allMatch("LOCAL"::equals);
        }
    }

    @Test
    void nginxProxyProtocolListenerSeesTheClient() throws Exception {
        Tools.assumeInstalled("nginx");
        Path dir = Files.createTempDirectory("nginx");
        int v1Port = ProxyProtocolTest.freePort();
        int v2Port = ProxyProtocolTest.freePort();
        Files.createDirectories(dir.resolve("logs"));
        Files.writeString(dir.resolve("nginx.conf"), """
                daemon off;
                master_process off;
                pid %1$s/nginx.pid;
                error_log %1$s/logs/error.log info;
                events { worker_connections 64; }
                http {
                  access_log %1$s/logs/access.log;
                  client_body_temp_path %1$s/body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                  server {
                    listen 127.0.0.1:%2$d proxy_protocol;
                    listen 127.0.0.1:%3$d proxy_protocol;
                    location / { return 200 "$proxy_protocol_addr $remote_addr\\n"; }
                  }
                }
                """.formatted(dir, v1Port, v2Port));
        Process nginx = new ProcessBuilder("nginx", "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    proxy_protocol: true
                    routes:
                      - { match: { path_prefix: /v1 }, upstream: v1 }
                      - upstream: v2
                upstreams:
                  v1:
                    send_proxy_protocol: v1
                    health_check: { path: /health, interval: 100ms, timeout: 2s }
                    endpoints: [ { address: "127.0.0.1:${P1}" } ]
                  v2:
                    send_proxy_protocol: v2
                    health_check: { path: /health, interval: 100ms, timeout: 2s }
                    endpoints: [ { address: "127.0.0.1:${P2}" } ]
                """;
        try {
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                new Socket("127.0.0.1", v2Port).close();
                return true;
            });
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("P1", "" + v1Port, "P2", "" + v2Port))) {
                Path access = dir.resolve("logs/access.log");
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(access)
                        && Files.readString(access).lines().filter(l -> l.contains("sluice-health-check")).count() >= 2);
                for (String path : List.of("/v1", "/v2")) {
                    try (RawHttp c = new RawHttp(sluice.port("main"))) {
                        c.send(concat(v1("PROXY TCP4 203.0.113.7 192.0.2.1 51000 80\r\n"),
                                "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
                        RawHttp.Response r = c.read();
                        assertThat(r.status()).isEqualTo(200);
                        assertThat(r.bodyText()).isEqualTo("203.0.113.7 127.0.0.1\n"); // proxy_protocol_addr, then the socket
                    }
                }
                // health checks with a LOCAL (v2) or UNKNOWN (v1) header: nginx answers them, so both stay in
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
                        Files.readString(access).lines().filter(l -> l.contains("sluice-health-check")).count() >= 6);
                for (var upstream : sluice.sluice().upstreams()) {
                    assertThat(upstream.endpoints().get(0).inService()).as(upstream.name()).isTrue();
                }
                assertThat(Files.readString(dir.resolve("logs/error.log"))).doesNotContain("broken header");
            }
        } finally {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
