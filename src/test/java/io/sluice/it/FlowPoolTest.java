package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Upstream connections are kept alive and reused, closed when idle, and a dead pooled one costs no request. */
class FlowPoolTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
                timeouts: { idle: 500ms }
            """;

    private static final byte[] OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);

    /** Answers requests on a connection until it ends (at most {@code max}); returns how many it answered. */
    private static int serve(InputStream in, OutputStream out, int max) throws IOException {
        int served = 0;
        while (served < max) {
            String head = RawServer.readHead(in);
            if (head == null) {
                break;
            }
            RawServer.skip(in, Math.max(0, RawServer.contentLength(head)));
            out.write(OK);
            out.flush();
            served++;
        }
        return served;
    }

    @Test
    void sequentialRequestsReuseOneUpstreamConnection() throws Exception {
        try (RawServer up = new RawServer((s, i) -> serve(s.getInputStream(), s.getOutputStream(), 100));
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = client.send("GET /" + i + " HTTP/1.1\r\nHost: t\r\n\r\n").read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("ok");
            }
            assertThat(up.accepted()).isEqualTo(1);
        }
    }

    @Test
    void idlePooledConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        CountDownLatch upstreamSawEof = new CountDownLatch(1);
        try (RawServer up = new RawServer((s, i) -> {
            serve(s.getInputStream(), s.getOutputStream(), 100);
            upstreamSawEof.countDown(); // the proxy closed its end
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            long start = System.nanoTime();
            assertThat(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);

            assertThat(upstreamSawEof.await(10, TimeUnit.SECONDS)).as("upstream saw the pooled connection close")
                    .isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(400);
            // the client's own connection is unaffected and the next request opens a fresh upstream connection
            assertThat(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
            assertThat(up.accepted()).isEqualTo(2);
        }
    }

    @Test
    void upstreamClosingAnIdlePooledConnectionDoesNotFailTheNextRequest() throws Exception {
        AtomicInteger closedByUpstream = new AtomicInteger();
        try (RawServer up = new RawServer((s, i) -> {
            serve(s.getInputStream(), s.getOutputStream(), 1); // keep-alive response, then hang up
            closedByUpstream.incrementAndGet();
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("500ms", "60s"), Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = client.send("GET /" + i + " HTTP/1.1\r\nHost: t\r\n\r\n").read();
                assertThat(r.status()).as("request " + i).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("ok");
            }
            // A POST is not retried (it is not idempotent), so it cannot win a race with a close that
            // happens at the same instant; an upstream's idle close that the proxy has seen never fails it.
            for (int i = 0; i < 5; i++) {
                int closed = 5 + i;
                await().atMost(Duration.ofSeconds(60)).until(() -> closedByUpstream.get() >= closed
                        && idlePooled(sluice) == 0);
                RawHttp.Response r = client.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc").read();
                assertThat(r.status()).as("post " + i).isEqualTo(200);
            }
            assertThat(up.accepted()).isEqualTo(10);
        }
    }

    /**
     * The upstream takes a POST on a pooled connection and closes without answering: it may have acted on
     * it, so the proxy must not send it again (RFC 9110 9.2.2), not even on a fresh connection, retry or not.
     */
    @Test
    void aPostLostOnAPooledConnectionIsNotSentAgain() throws Exception {
        AtomicInteger posts = new AtomicInteger();
        try (RawServer up = new RawServer((s, i) -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            String head;
            while ((head = RawServer.readHead(in)) != null) {
                if (head.startsWith("POST ")) {
                    posts.incrementAndGet();
                    return; // read, then closed without an answer
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("500ms", "60s"), Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            assertThat(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
            RawHttp.Response r = client.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(502);
            assertThat(posts.get()).as("POSTs the upstream received").isEqualTo(1);
            assertThat(up.accepted()).isEqualTo(1);
        }
    }

    @Test
    void connectionCloseAndCloseDelimitedResponsesAreNotPooled() throws Exception {
        try (RawServer up = new RawServer((s, i) -> {
            InputStream in = s.getInputStream();
            String head = RawServer.readHead(in);
            OutputStream out = s.getOutputStream();
            if (head.startsWith("GET /close ")) {
                out.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
                        .getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write("HTTP/1.1 200 OK\r\n\r\nuntil-the-end".getBytes(StandardCharsets.US_ASCII));
                return; // the close ends the body
            }
            out.flush();
            in.read(); // keeps the connection open: a proxy that reused it would hang the next request
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("500ms", "60s"), Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            for (int i = 0; i < 2; i++) {
                RawHttp.Response r = client.send("GET /close HTTP/1.1\r\nHost: t\r\n\r\n").read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("ok");
                assertThat(r.header("connection")).as("the client's connection stays open").isNull();
            }
            for (int i = 0; i < 2; i++) {
                RawHttp.Response r = client.send("GET /eof HTTP/1.1\r\nHost: t\r\n\r\n").read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("until-the-end");
            }
            assertThat(up.accepted()).isEqualTo(4);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOverOneUpstreamConnection() throws Exception {
        try (RawServer up = new RawServer((s, i) -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            String head;
            while ((head = RawServer.readHead(in)) != null) {
                String path = head.substring(4, head.indexOf(' ', 4));
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + path.length() + "\r\n\r\n" + path)
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML.replace("500ms", "60s"), Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                all.append("GET /r").append(i).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
            }
            client.send(all.toString());
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = client.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("/r" + i);
            }
            assertThat(up.accepted()).isEqualTo(1);
        }
    }

    @Test
    void idleTimeoutDoesNotCutAConnectionThatIsWaitingForAResponse() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (RawServer up = new RawServer((s, i) -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (RawServer.readHead(in) != null) {
                never.await(1500, TimeUnit.MILLISECONDS); // three idle periods without a byte
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            RawHttp.Response r = client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("late");
        }
    }

    /** Idle pooled upstream connections, as the proxy's own metric reports them. */
    private static double idlePooled(SluiceUnderTest sluice) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create()
                .write(out, sluice.sluice().metrics().registry().scrape());
        double idle = 0;
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("sluice_upstream_pool_idle_connections{")) {
                idle += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return idle;
    }
}
