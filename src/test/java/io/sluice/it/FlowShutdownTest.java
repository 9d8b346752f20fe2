package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.runtime.Sluice;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A graceful stop refuses new connections at once and lets requests in flight finish, up to the timeout. */
class FlowShutdownTest {
    private static final String YAML = """
            server:
              shutdown_timeout: 300ms
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            """;

    private static boolean refused(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void inFlightRequestCompletesWhileNewConnectionsAreRefused() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("a", exchange -> {
            arrived.countDown();
            try {
                release.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "done\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up))) {
            int port = sluice.port("main");
            CompletableFuture<HttpResponse<String>> inFlight = HttpClient.newHttpClient().sendAsync(
                    HttpRequest.newBuilder(sluice.uri("main", "/slow")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(arrived.await(60, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> sluice.stop(Duration.ofMinutes(5)));
            await().atMost(Duration.ofSeconds(60)).until(() -> refused(port));
            assertThat(stopping).isNotDone();

            release.countDown();
            HttpResponse<String> r = inFlight.get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("done\n");
            stopping.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void hungUpstreamIsCutOffSoonAfterTheTimeout() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("a", exchange -> {
            arrived.countDown();
            try {
                never.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(arrived.await(60, TimeUnit.SECONDS)).isTrue();

            // The upstream would hang for minutes: stop ends because shutdown_timeout (300ms) ran out.
            long start = System.nanoTime();
            CompletableFuture.runAsync(() -> sluice.stop(
                    Duration.ofMillis(sluice.sluice().config().server().shutdownTimeout().toMillis())))
                    .get(60, TimeUnit.SECONDS);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(tookMillis).as("stop waited the shutdown timeout out").isGreaterThanOrEqualTo(250L);
            assertThat(client.closedByServer()).isTrue();
        } finally {
            never.countDown();
        }
    }

    @Test
    void idleKeepAliveConnectionsCloseAtOnceAndStopDoesNotWait() throws Exception {
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            assertThat(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);

            // An idle keep-alive connection is not waited for: with a 10-minute stop window, only closing
            // it at once lets stop end within the test's safety net.
            ListAppender<ILoggingEvent> logged = new ListAppender<>();
            Logger sluiceLog = (Logger) LoggerFactory.getLogger(Sluice.class);
            logged.start();
            sluiceLog.addAppender(logged);
            try {
                CompletableFuture.runAsync(() -> sluice.stop(Duration.ofMinutes(10))).get(60, TimeUnit.SECONDS);
            } finally {
                sluiceLog.detachAppender(logged);
            }
            assertThat(client.closedByServer()).isTrue();
            assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage)
                    .noneMatch(m -> m.startsWith("shutdown timeout")); // nothing was busy
        }
    }

    @Test
    void keepAliveClientMidRequestGetsItsResponseWithConnectionClose() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("a", exchange -> {
            arrived.countDown();
            try {
                release.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "done\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            int port = sluice.port("main");
            client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(arrived.await(60, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> sluice.stop(Duration.ofMinutes(5)));
            await().atMost(Duration.ofSeconds(60)).until(() -> refused(port));
            release.countDown();

            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("done\n");
            assertThat(r.header("connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
            stopping.get(60, TimeUnit.SECONDS);
        }
    }
}
