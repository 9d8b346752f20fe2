package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@code server.client_timeouts}: a client that keeps the proxy waiting (slowloris heads, stalled bodies,
 * responses nobody reads, idle keep-alive connections) is closed; a client waiting on a slow upstream,
 * or sending slowly but steadily, is not.
 */
class ClientTimeoutsTest {
    private static final String YAML = """
            server:
              client_timeouts: { idle: "${IDLE:-1s}", request_head: 1s, request_body: 1s, send: 1s }
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /ok }
                    respond: { status: 200, body: "ok\\n" }
                  - upstream: app
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
                timeouts: { response: 20s }
            admin: { address: 127.0.0.1:0 }
            """;

    /** The value of {@code sluice_client_timeouts_total} for {@code timeout} on listener main. */
    private static long timeouts(SluiceUnderTest sluice, String timeout) throws Exception {
        String line = "sluice_client_timeouts_total{listener=\"main\",timeout=\"" + timeout + "\"} ";
        String metrics = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith(line)).findFirst()
                .map(l -> (long) Double.parseDouble(l.substring(line.length()))).orElse(0L);
    }

    private static void assertProxyStillServes(SluiceUnderTest sluice) throws IOException {
        try (RawHttp next = new RawHttp(sluice.port("main"))) {
            assertThat(next.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
        }
    }

    /** A client that sends a byte every {@code periodMillis} (from {@code next}; -1 for none this time). */
    private static void dribble(ScheduledExecutorService on, OutputStream out, long periodMillis,
                                java.util.function.IntSupplier next) {
        on.scheduleAtFixedRate(() -> {
            try {
                int b = next.getAsInt();
                if (b >= 0) {
                    out.write(b);
                    out.flush();
                }
            } catch (IOException closed) {
                throw new java.io.UncheckedIOException(closed); // ends the schedule
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    @Test
    void anUnfinishedRequestHeadIsAnswered408AndClosed() throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /slow HTTP/1.1\r\nHost: t\r\nX-Slow: "); // and nothing more: slowloris

            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(client.closedByServer()).isTrue();
            assertThat(up.receivedCount()).isZero();
            assertProxyStillServes(sluice);
            assertThat(timeouts(sluice, "request_head")).isEqualTo(1);
        }
    }

    @Test
    void aHeadTrickledByteByByteIsTimedAsAWhole() throws Exception {
        // Every byte restarts an idle timer, but not request_head: the head must be whole in time.
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            OutputStream out = client.socket().getOutputStream();
            client.send("GET / HTTP/1.1\r\nHost: t\r\n");
            dribble(trickle, out, 50, () -> 'X');

            assertThat(client.read().status()).isEqualTo(408);
            assertThat(up.receivedCount()).isZero();
        } finally {
            trickle.shutdownNow();
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            assertThat(client.socket().getInputStream().read()).isEqualTo(-1); // no 408: nothing was asked
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterIdle() throws Exception {
        // idle longer than request_head: between requests the longer keep-alive wait applies, not request_head
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address(), "IDLE", "2500ms"));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            long asked = System.nanoTime(); // the proxy's idle wait starts after this (same clock, same process)
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);

            assertThat(client.socket().getInputStream().read()).isEqualTo(-1);
            // Not a speed check: the close must come from idle (2.5 s), never from request_head (1 s).
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).isGreaterThanOrEqualTo(Duration.ofMillis(2500));
        }
    }

    @Test
    void aStalledBodyIsAnswered408AndNeverReachesTheUpstreamWhole() throws Exception {
        AtomicReference<String> upstreamSaw = new AtomicReference<>();
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            String head = RawServer.readHead(in);
            long expected = RawServer.contentLength(head);
            long got = 0;
            try {
                while (got < expected) {
                    int n = in.read(new byte[1024]);
                    if (n == -1) {
                        break;
                    }
                    got += n;
                }
            } catch (SocketException reset) {
                // closed by the proxy
            }
            upstreamSaw.set(got + " of " + expected);
        });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789");

            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(client.closedByServer()).isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> upstreamSaw.get() != null);
            assertThat(upstreamSaw.get()).isEqualTo("10 of 100");
            assertProxyStillServes(sluice);
            assertThat(timeouts(sluice, "request_body")).isEqualTo(1);
        }
    }

    @Test
    void aBodySentSlowlyButSteadilyIsNotCut() throws Exception {
        ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            // 15 parts, 100 ms apart: 1.5 s in all, more than request_body (1 s), but never 1 s silent.
            client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 15\r\n\r\n");
            OutputStream out = client.socket().getOutputStream();
            AtomicInteger sent = new AtomicInteger();
            dribble(sender, out, 100, () -> sent.get() < 15 ? 'a' + sent.getAndIncrement() : -1);

            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(up.next().bodyText()).isEqualTo("abcdefghijklmno");
        } finally {
            sender.shutdownNow();
        }
    }

    @Test
    void waitingOnASlowUpstreamIsNotTheClientsFault() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("a", exchange -> {
            // A slow upstream: longer than every client timeout (1 s), well inside the response timeout.
            try {
                never.await(2500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "late\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            RawHttp.Response r = client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("late\n");
        }
    }

    @Test
    void aClientThatReadsNothingIsClosedAfterSendAndTheUpstreamIsReleased() throws Exception {
        CountDownLatch upstreamCut = new CountDownLatch(1);
        try (RawServer up = new RawServer((socket, i) -> {
            RawServer.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            try {
                for (int n = 0; n < 16 * 1024; n++) { // 1 GiB: far more than any socket buffers hold
                    out.write(chunk);
                }
            } catch (IOException closed) {
                upstreamCut.countDown();
            }
        });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             Socket client = new Socket("127.0.0.1", sluice.port("main"))) {
            client.setReceiveBufferSize(64 * 1024);
            client.getOutputStream().write("GET /big HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // ... and the client reads nothing.

            assertThat(upstreamCut.await(60, TimeUnit.SECONDS)).as("the proxy closed the upstream connection").isTrue();
            assertProxyStillServes(sluice);
            assertThat(timeouts(sluice, "send")).isEqualTo(1);
        }
    }
}
