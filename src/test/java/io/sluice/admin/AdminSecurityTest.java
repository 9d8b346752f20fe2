package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.sluice.balance.Endpoint;
import io.sluice.config.AdminConfig;
import io.sluice.config.EndpointConfig;
import io.sluice.config.HostPort;
import io.sluice.config.UpstreamConfig;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.upstream.Upstream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The admin API's refusals (contract.md, Admin API): a state-changing request with a Host that does not
 * name the admin address, a foreign Origin, a cross-site fetch, a missing or wrong token, or on a
 * non-loopback address without a token, is refused and changes nothing; reads on loopback stay open.
 * Raw requests, so the test controls Host and Origin exactly as a browser or an attacker would send them.
 */
class AdminSecurityTest {
    private static final String DRAIN = "/api/upstreams/api/endpoints/127.0.0.1:9001/drain";
    private static EventLoopGroup group;

    private final ProxyMetrics metrics = new ProxyMetrics();
    private final Upstream api = new Upstream(new UpstreamConfig("api", "round_robin", null, 160, 0, null,
            List.of(new EndpointConfig("127.0.0.1:9001", "127.0.0.1", 9001, false, 1)), null, null, null, null));
    private final Collection<Upstream> upstreams = List.of(api);
    private AdminServer server;
    private int port;

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(String host, String token, List<String> hosts) throws Exception {
        server = new AdminServer(new AdminConfig(new HostPort(host, 0), token, hosts), group, metrics, () -> upstreams,
                () -> null, name -> null, System.currentTimeMillis(), null);
        server.start();
        port = server.localAddress().getPort();
    }

    /** Sends a raw request to the admin port on 127.0.0.1; returns the whole response. */
    private String send(String method, String path, String... headers) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            req.append("Content-Length: 0\r\nConnection: close\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }

    private static int status(String response) {
        return Integer.parseInt(response.substring(9, 12));
    }

    private boolean drained() {
        return api.endpoint("127.0.0.1:9001").isOut(Endpoint.DRAINED);
    }

    @Test
    void aForeignHostIsRefused() throws Exception {
        start("127.0.0.1", null, List.of());
        String r = send("POST", DRAIN, "Host: attacker.example:" + port); // DNS rebinding
        assertThat(status(r)).isEqualTo(403);
        assertThat(r).contains("does not name the admin address");
        assertThat(status(send("POST", DRAIN, "Host: 127.0.0.1:1"))).isEqualTo(403); // another port
        assertThat(status(send("POST", DRAIN))).isEqualTo(403); // no Host at all
        assertThat(drained()).isFalse();
    }

    @Test
    void aForeignOriginIsRefused() throws Exception {
        start("127.0.0.1", null, List.of());
        String r = send("POST", DRAIN, "Host: 127.0.0.1:" + port, "Origin: https://evil.example");
        assertThat(status(r)).isEqualTo(403);
        assertThat(r).contains("cross-origin");
        assertThat(status(send("POST", DRAIN, "Host: 127.0.0.1:" + port, "Origin: null"))).isEqualTo(403);
        assertThat(status(send("POST", DRAIN, "Host: 127.0.0.1:" + port, "Sec-Fetch-Site: cross-site"))).isEqualTo(403);
        assertThat(drained()).isFalse();
    }

    @Test
    void theAdminAddressItselfMayChangeState() throws Exception {
        start("127.0.0.1", null, List.of());
        assertThat(status(send("POST", DRAIN, "Host: localhost:" + port, "Origin: http://localhost:" + port)))
                .isEqualTo(200);
        assertThat(drained()).isTrue();
        assertThat(status(send("POST", DRAIN.replace("drain", "restore"), "Host: 127.0.0.1:" + port))).isEqualTo(200);
        assertThat(drained()).isFalse();
    }

    @Test
    void withATokenStateChangesNeedIt() throws Exception {
        start("127.0.0.1", "s3cret", List.of());
        String host = "Host: 127.0.0.1:" + port;
        String missing = send("POST", DRAIN, host);
        assertThat(status(missing)).isEqualTo(401);
        assertThat(missing).containsIgnoringCase("WWW-Authenticate: Bearer");
        assertThat(status(send("POST", DRAIN, host, "Authorization: Bearer wrong"))).isEqualTo(401);
        assertThat(status(send("POST", DRAIN, host, "Authorization: Basic czNjcmV0"))).isEqualTo(401);
        assertThat(drained()).isFalse();
        assertThat(status(send("POST", DRAIN, host, "Authorization: Bearer s3cret"))).isEqualTo(200);
        assertThat(drained()).isTrue();
        // reads stay open on loopback
        assertThat(status(send("GET", "/api/upstreams", host))).isEqualTo(200);
        assertThat(status(send("GET", "/metrics", "Host: anything"))).isEqualTo(200);
    }

    @Test
    void aNonLoopbackAddressWithoutATokenIsReadOnly() throws Exception {
        start("0.0.0.0", null, List.of());
        String r = send("POST", DRAIN, "Host: 127.0.0.1:" + port);
        assertThat(status(r)).isEqualTo(403);
        assertThat(r).contains("admin.token is not set");
        assertThat(drained()).isFalse();
        assertThat(status(send("GET", "/api/upstreams", "Host: 127.0.0.1:" + port))).isEqualTo(200);
    }

    @Test
    void aNonLoopbackAddressWithATokenNeedsItForEverythingButHealthz() throws Exception {
        start("0.0.0.0", "s3cret", List.of("admin.internal"));
        assertThat(status(send("GET", "/api/upstreams", "Host: 127.0.0.1:" + port))).isEqualTo(401);
        assertThat(status(send("GET", "/metrics", "Host: 127.0.0.1:" + port))).isEqualTo(401);
        assertThat(status(send("GET", "/healthz", "Host: 127.0.0.1:" + port))).isEqualTo(200);
        assertThat(status(send("GET", "/metrics", "Host: 127.0.0.1:" + port, "Authorization: Bearer s3cret")))
                .isEqualTo(200);
        // a name given in admin.hosts is the admin address too
        assertThat(status(send("POST", DRAIN, "Host: admin.internal:" + port, "Authorization: Bearer s3cret")))
                .isEqualTo(200);
        assertThat(status(send("POST", DRAIN, "Host: other.internal:" + port, "Authorization: Bearer s3cret")))
                .isEqualTo(403);
    }

    @Test
    void aRefusedPathIsLoggedOnOneLineWithItsControlCharactersEscaped() throws Exception {
        start("127.0.0.1", null, List.of());
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger adminLog = (Logger) LoggerFactory.getLogger(AdminHandler.class);
        logged.start();
        adminLog.addAppender(logged);
        try {
            // what any web page can send cross-origin: %0a would start a forged line, %1b a terminal escape
            String r = send("POST", "/api/x%0a2026-01-01%20INFO%20forged%1b%5b2J", "Host: attacker.example:" + port);
            assertThat(status(r)).isEqualTo(403);
        } finally {
            adminLog.detachAppender(logged);
        }
        assertThat(logged.list).hasSize(1); // logged before the answer is sent
        String line = logged.list.get(0).getFormattedMessage();
        assertThat(line).doesNotContain("\n", "\r", "\u001b").contains("/api/x\\x0a2026-01-01 INFO forged\\x1b[2J");
    }
}
