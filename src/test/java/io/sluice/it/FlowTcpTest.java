package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** A tcp listener relays bytes both ways, round robin across endpoints, large transfers included. */
class FlowTcpTest {
    private static final String YAML = """
            listeners:
              - name: db
                address: 127.0.0.1:0
                protocol: tcp
                upstream: echo
            upstreams:
              echo:
                balancer: round_robin
                endpoints:
                  - { address: "${UP1}" }
                  - { address: "${UP2}" }
            """;

    /** Echoes every byte back until the peer closes. */
    private static RawServer echo() throws Exception {
        return new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) != -1) {
                out.write(buf, 0, n);
            }
        });
    }

    /** Waits until {@code written} has not grown for 1.5 s: the writer is blocked, every buffer on the way full. */
    private static void awaitStalled(java.util.concurrent.atomic.AtomicLong written) {
        long[] last = {-1};
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofMillis(100)).during(java.time.Duration.ofMillis(1500))
                .until(() -> {
                    long now = written.get();
                    boolean same = now == last[0];
                    last[0] = now;
                    return same;
                });
    }

    @Test
    void relaysBothWaysRoundRobin() throws Exception {
        try (RawServer a = echo(); RawServer b = echo();
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", a.address(), "UP2", b.address()))) {
            for (int i = 0; i < 4; i++) {
                try (Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
                    s.setSoTimeout(10_000);
                    byte[] msg = ("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                    s.getOutputStream().write(msg);
                    assertThat(s.getInputStream().readNBytes(msg.length)).isEqualTo(msg);
                }
            }
            assertThat(a.accepted()).isEqualTo(2);
            assertThat(b.accepted()).isEqualTo(2);
        }
    }

    @Test
    void large64MiBTransferPassesWhole() throws Exception {
        long size = 64L * 1024 * 1024;
        byte[] block = new byte[64 * 1024];
        new Random(7).nextBytes(block);
        try (RawServer a = echo(); RawServer b = echo();
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", a.address(), "UP2", b.address()));
             Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
            s.setSoTimeout(30_000);
            CRC32 sent = new CRC32();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (long done = 0; done < size; done += block.length) {
                        out.write(block);
                        sent.update(block);
                    }
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            CRC32 got = new CRC32();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            while (total < size) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, size - total));
                if (n == -1) {
                    break;
                }
                got.update(buf, 0, n);
                total += n;
            }
            writer.get(60, TimeUnit.SECONDS);
            assertThat(total).isEqualTo(size);
            assertThat(got.getValue()).isEqualTo(sent.getValue());
        }
    }

    @Test
    void closesPropagateBothWays() throws Exception {
        java.util.concurrent.CountDownLatch upstreamSawEof = new java.util.concurrent.CountDownLatch(1);
        try (RawServer a = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            if (i == 0) {
                socket.getOutputStream().write("bye\n".getBytes(StandardCharsets.US_ASCII)); // then closes
                return;
            }
            if (in.read() == -1) {
                upstreamSawEof.countDown();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("  - { address: \"${UP2}\" }\n", ""),
                Map.of("UP1", a.address()))) {
            try (Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
                s.setSoTimeout(10_000);
                assertThat(s.getInputStream().readAllBytes()).isEqualTo("bye\n".getBytes(StandardCharsets.US_ASCII));
            }
            Socket s = new Socket("127.0.0.1", sluice.port("db"));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> a.accepted() == 2);
            s.close();
            assertThat(upstreamSawEof.await(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void slowTcpReaderStallsTheUpstream() throws Exception {
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        long size = 128L * 1024 * 1024;
        byte[] block = new byte[64 * 1024];
        try (RawServer a = new RawServer((socket, i) -> {
            OutputStream out = socket.getOutputStream();
            for (long done = 0; done < size; done += block.length) {
                out.write(block);
                written.addAndGet(block.length);
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("  - { address: \"${UP2}\" }\n", ""),
                Map.of("UP1", a.address()));
             Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            assertThat(in.readNBytes(1024 * 1024)).hasSize(1024 * 1024);
            awaitStalled(written);
            assertThat(written.get()).isLessThan(64L * 1024 * 1024);
            long total = 1024 * 1024;
            byte[] buf = new byte[64 * 1024];
            int n;
            while (total < size && (n = in.read(buf)) != -1) {
                total += n;
            }
            assertThat(total).isEqualTo(size);
        }
    }

    @Test
    void aRefusingEndpointIsSkippedAndAllDownClosesTheClient() throws Exception {
        int deadPort;
        try (java.net.ServerSocket tmp = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = tmp.getLocalPort();
        }
        try (RawServer b = echo();
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML,
                     Map.of("UP1", "127.0.0.1:" + deadPort, "UP2", b.address()))) {
            for (int i = 0; i < 4; i++) {
                try (Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
                    s.setSoTimeout(10_000);
                    byte[] msg = ("hi " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                    s.getOutputStream().write(msg);
                    assertThat(s.getInputStream().readNBytes(msg.length)).isEqualTo(msg);
                }
            }
            assertThat(b.accepted()).isEqualTo(4);
        }
        try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("  - { address: \"${UP2}\" }\n", ""),
                Map.of("UP1", "127.0.0.1:" + deadPort));
             Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
            s.setSoTimeout(10_000);
            int first;
            try {
                first = s.getInputStream().read();
            } catch (java.net.SocketException reset) {
                first = -1;
            }
            assertThat(first).as("closed without a byte").isEqualTo(-1);
        }
    }

    /**
     * The client side closes while the upstream has stopped reading what it sent: the upstream side gets
     * {@code RelayHandler.CLOSE_LINGER_SECONDS} to take it, then closes too (found by a review: it stayed open,
     * with its buffered bytes and the endpoint's in-flight count, for ever).
     */
    @Test
    void anUpstreamThatStopsReadingIsClosedSoonAfterTheClientLeaves() throws Exception {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        try (RawServer a = new RawServer((socket, i) -> done.await(120, TimeUnit.SECONDS)); // never reads
             SluiceUnderTest sluice = SluiceUnderTest.start("admin: { address: 127.0.0.1:0 }\n"
                     + YAML.replace("  - { address: \"${UP2}\" }\n", "")
                     .replace("protocol: tcp\n", "protocol: tcp\n    idle_timeout: 1s\n"), Map.of("UP1", a.address()))) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.util.concurrent.Callable<String> upstreams = () -> http.send(
                    java.net.http.HttpRequest.newBuilder(sluice.adminUri("/api/upstreams")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            Socket s = new Socket("127.0.0.1", sluice.port("db"));
            Thread writer = new Thread(() -> {
                byte[] block = new byte[64 * 1024];
                try {
                    for (int k = 0; k < 1024; k++) { // 64 MiB: far more than the buffers on the way hold
                        s.getOutputStream().write(block);
                        written.addAndGet(block.length);
                    }
                } catch (IOException e) {
                    // the socket closed under it: expected
                }
            });
            writer.start();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> upstreams.call().contains("\"in_flight\":1"));
            awaitStalled(written); // every buffer on the way is full
            s.close();
            writer.join(10_000);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(90))
                    .until(() -> upstreams.call().contains("\"in_flight\":0"));
            done.countDown();
        }
    }

    /** A client that half-closes (sends its FIN, then waits) still gets the answer (found by a review: it did not). */
    @Test
    void aHalfCloseIsPassedOnAndTheAnswerStillComes() throws Exception {
        java.util.concurrent.CountDownLatch relaying = new java.util.concurrent.CountDownLatch(1);
        try (RawServer a = new RawServer((socket, i) -> {
            byte[] first = socket.getInputStream().readNBytes(5);
            relaying.countDown();
            byte[] rest = socket.getInputStream().readAllBytes(); // until the client's FIN, passed on
            socket.getOutputStream().write(("got " + (first.length + rest.length) + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("  - { address: \"${UP2}\" }\n", ""),
                Map.of("UP1", a.address()));
             Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(relaying.await(10, TimeUnit.SECONDS)).isTrue();
            s.getOutputStream().write("!".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("got 6\n");
        }
    }

    @Test
    void aConnectionQuietBothWaysForIdleTimeoutIsClosedBothSides() throws Exception {
        java.util.concurrent.CountDownLatch upstreamSawEof = new java.util.concurrent.CountDownLatch(1);
        try (RawServer a = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                out.write(b); // echo, then wait quietly for the proxy to give up
            }
            upstreamSawEof.countDown();
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("  - { address: \"${UP2}\" }\n", "")
                .replace("protocol: tcp\n", "protocol: tcp\n    idle_timeout: 1s\n"), Map.of("UP1", a.address()));
             Socket s = new Socket("127.0.0.1", sluice.port("db"))) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write('x');
            assertThat(s.getInputStream().read()).isEqualTo('x'); // relayed both ways

            assertThat(s.getInputStream().read()).isEqualTo(-1); // then nothing either way: closed
            assertThat(upstreamSawEof.await(60, TimeUnit.SECONDS)).isTrue();
        }
    }
}
