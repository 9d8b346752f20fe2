package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.runtime.Sluice;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * IPv6 addresses as a user sees them are in the short form of RFC 5952 ({@code ::1}, never
 * {@code 0:0:0:0:0:0:0:1}): the startup log line naming the listeners, and the PROXY v1 header a tcp
 * and an http listener send upstream.
 */
class Ipv6ShortFormTest {
    @BeforeAll
    static void needsIpv6Loopback() {
        boolean ok;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            ok = true;
        } catch (Exception e) {
            ok = false;
        }
        Assumptions.assumeTrue(ok, "no IPv6 loopback here");
    }

    @Test
    void theStartupLineNamesIpv6ListenersInTheShortForm() throws Exception {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger log = (Logger) LoggerFactory.getLogger(Sluice.class);
        logged.start();
        log.addAppender(logged);
        try (SluiceUnderTest sluice = SluiceUnderTest.start("""
                listeners:
                  - { name: main, address: "[::1]:0", routes: [ { respond: { status: 200 } } ] }
                  - { name: any, address: "[::]:0", routes: [ { respond: { status: 200 } } ] }
                admin: { address: "[::1]:0" }
                """)) {
            String started = logged.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.startsWith("sluice started")).findFirst().orElseThrow();
            assertThat(started).contains("main http://[::1]:" + sluice.port("main"))
                    .contains("any http://[::]:" + sluice.port("any"))
                    .containsPattern("admin http://\\[::1]:\\d+")
                    .doesNotContain("0:0:0:0");
        } finally {
            log.detachAppender(logged);
        }
    }

    @Test
    void proxyV1HeadersNameIpv6ClientsInTheShortForm() throws Exception {
        String yaml = """
                listeners:
                  - { name: db, address: "[::1]:0", protocol: tcp, upstream: db }
                  - { name: main, address: "[::1]:0", routes: [ { upstream: app } ] }
                upstreams:
                  db:
                    send_proxy_protocol: v1
                    endpoints: [ { address: "${UP1}" } ]
                  app:
                    send_proxy_protocol: v1
                    endpoints: [ { address: "${UP2}" } ]
                """;
        List<String> headers = new CopyOnWriteArrayList<>();
        try (RawServer db = new RawServer((socket, i) -> {
                 headers.add(ProxyProtocolTest.readLine(socket.getInputStream()));
                 socket.getInputStream().transferTo(socket.getOutputStream());
             });
             RawServer app = new RawServer((socket, i) -> {
                 InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
                 headers.add(ProxyProtocolTest.readLine(in));
                 if (RawServer.readHead(in) != null) {
                     socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                             .getBytes(StandardCharsets.US_ASCII));
                     socket.getOutputStream().flush();
                 }
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", db.address(), "UP2", app.address()))) {
            int tcpClientPort;
            try (Socket s = new Socket("::1", sluice.port("db"))) {
                s.setSoTimeout(60_000);
                tcpClientPort = s.getLocalPort();
                s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("ping\n");
            }
            int httpClientPort;
            try (RawHttp c = new RawHttp(new Socket("::1", sluice.port("main")))) {
                httpClientPort = c.socket().getLocalPort();
                assertThat(c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status()).isEqualTo(200);
            }
            assertThat(headers).containsExactly(
                    "PROXY TCP6 ::1 ::1 " + tcpClientPort + " " + sluice.port("db") + "\r",
                    "PROXY TCP6 ::1 ::1 " + httpClientPort + " " + sluice.port("main") + "\r");
        }
    }
}
