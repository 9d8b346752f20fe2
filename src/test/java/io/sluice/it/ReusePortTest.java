package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code server.reuse_port}: with one listening socket per worker, every connection is served whichever
 * socket the kernel gave it to, a reload keeps the sockets, and a stop closes all of them (the port is free).
 */
class ReusePortTest {
    private static String yaml(boolean reusePort) {
        return """
                server:
                  workers: 3
                  reuse_port: %s
                  shutdown_timeout: 1s
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - respond: { status: 200, body: "ok\\n" }
                """.formatted(reusePort);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void everyConnectionIsServedAndStopFreesThePort(boolean reusePort) throws Exception {
        assumeTrue(!reusePort || Epoll.isAvailable(), "SO_REUSEPORT needs the native epoll transport");
        int port;
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml(reusePort))) {
            port = sluice.port("main");
            assertThat(listeningSockets(port)).as("listening sockets on the port, as `ss -ltn` shows them")
                    .isEqualTo(reusePort ? 3 : 1);
            assertAllServed(port, 48);
            sluice.reload(yaml(reusePort).replace("ok", "reloaded"), java.util.Map.of());
            assertThat(get(port)).endsWith("reloaded\n");
            assertAllServed(port, 48);
            sluice.stop(Duration.ofSeconds(1));
        }
        // Every socket of the listener is closed: the port binds again without SO_REUSEPORT.
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(again.isBound()).isTrue();
        }
    }

    /** LISTEN entries (state 0A) for {@code port} in /proc/net/tcp and tcp6 (the native transport binds IPv6 sockets). */
    private static long listeningSockets(int port) throws IOException {
        String local = String.format(":%04X", port);
        long count = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[1].endsWith(local) && f[3].equals("0A")) {
                    count++;
                }
            }
        }
        return count;
    }

    /** {@code count} connections open at once (spread by the kernel over the sockets), each answered. */
    private static void assertAllServed(int port, int count) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new Socket("127.0.0.1", port));
            }
            for (Socket s : sockets) {
                assertThat(exchange(s)).startsWith("HTTP/1.1 200");
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    private static String get(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return exchange(s);
        }
    }

    private static String exchange(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
}
