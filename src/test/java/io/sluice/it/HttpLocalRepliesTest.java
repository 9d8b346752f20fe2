package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The proxy's own answers (404, 502, 503, 504) and retries, with real upstream failures. */
class HttpLocalRepliesTest {

    /** A port on 127.0.0.1 that refuses connections: bound once, then closed. */
    private static String refusedAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    private static String yaml(String upstreamExtra, String... endpoints) {
        StringBuilder eps = new StringBuilder();
        for (String e : endpoints) {
            eps.append("          - { address: \"").append(e).append("\" }\n");
        }
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - match: { path_prefix: /app/ }
                        upstream: app
                upstreams:
                  app:
                    balancer: round_robin
                """ + upstreamExtra.indent(4) + "    endpoints:\n" + eps;
    }

    private static RawHttp.Response exchange(SluiceUnderTest sluice, String request) throws IOException {
        try (RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send(request);
            return client.read();
        }
    }

    private static RawHttp.Response get(SluiceUnderTest sluice, String path) throws IOException {
        return exchange(sluice, "GET " + path + " HTTP/1.1\r\nHost: h\r\nX-Request-ID: req-" + path.hashCode() + "\r\n\r\n");
    }

    private static void assertLocal(RawHttp.Response r, int status, String path) {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        assertThat(r.bodyText()).startsWith(Integer.toString(status)).hasSizeLessThan(300);
        assertThat(r.header("X-Request-ID")).isEqualTo("req-" + path.hashCode());
    }

    @Test
    void noMatchingRouteIs404() throws Exception {
        try (TestUpstream up = TestUpstream.start("up");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", up.address()))) {
            assertLocal(get(sluice, "/elsewhere"), 404, "/elsewhere");
            RawHttp.Response generated = exchange(sluice, "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(generated.status()).isEqualTo(404);
            assertThat(generated.header("X-Request-ID")).matches("[0-9a-f]{32}");
            assertThat(up.receivedCount()).isZero();
        }
    }

    @Test
    void connectionRefusedIs502() throws Exception {
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", refusedAddress()))) {
            assertLocal(get(sluice, "/app/a"), 502, "/app/a");
            assertLocal(get(sluice, "/app/b"), 502, "/app/b"); // no passive: the endpoint stays in
        }
    }

    @Test
    void everyEndpointOutIs503AfterTheFirst502() throws Exception {
        try (SluiceUnderTest sluice = SluiceUnderTest.start(
                yaml("passive: { max_failures: 1, fail_timeout: 1m }", refusedAddress()))) {
            assertLocal(get(sluice, "/app/first"), 502, "/app/first");
            assertLocal(get(sluice, "/app/second"), 503, "/app/second");
            assertLocal(get(sluice, "/app/third"), 503, "/app/third");
        }
    }

    @Test
    void upstreamClosingMidHeadIs502() throws Exception {
        try (RawUpstream up = RawUpstream.start((req, out) -> {
                out.write("HTTP/1.1 200 OK\r\nContent-Ty".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return false;
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", up.address()))) {
            assertLocal(get(sluice, "/app/cut"), 502, "/app/cut");
            assertThat(up.next()).startsWith("GET /app/cut ");
        }
    }

    @Test
    void upstreamSendingGarbageIs502() throws Exception {
        try (RawUpstream up = RawUpstream.start((req, out) -> {
                out.write("SSH-2.0-OpenSSH_9.6 what is this\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return true;
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", up.address()))) {
            assertLocal(get(sluice, "/app/garbage"), 502, "/app/garbage");
        }
    }

    @Test
    void hangingUpstreamIs504AfterTheResponseTimeout() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("slow", exchange -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("timeouts: { response: 300ms }", up.address()))) {
            long start = System.nanoTime();
            assertLocal(get(sluice, "/app/slow"), 504, "/app/slow");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(millis).as("not before the response timeout").isGreaterThanOrEqualTo(250L);
        } finally {
            release.countDown();
        }
    }

    @Test
    void getIsRetriedFromADeadEndpointToALiveOne() throws Exception {
        try (TestUpstream live = TestUpstream.start("live");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(
                     "retry: { attempts: 1, on: [connect_failure, 502] }", refusedAddress(), live.address()))) {
            for (int i = 0; i < 4; i++) {
                RawHttp.Response r = get(sluice, "/app/" + i);
                assertThat(r.status()).as("request %d", i).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("live\n");
            }
        }
    }

    @Test
    void getIsRetriedOnAn502StatusButPostIsNot() throws Exception {
        try (TestUpstream bad = TestUpstream.start("bad", exchange -> {
                exchange.sendResponseHeaders(502, -1);
                exchange.close();
            });
             TestUpstream live = TestUpstream.start("live");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(
                     "retry: { attempts: 1, on: [connect_failure, 502] }", bad.address(), live.address()))) {
            // round robin starts with the first endpoint: the 502 one
            RawHttp.Response post = exchange(sluice,
                    "POST /app/p HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\ndata");
            assertThat(post.status()).isEqualTo(502);
            assertThat(bad.next().method()).isEqualTo("POST");
            assertThat(live.receivedCount()).isZero();

            // next in rotation is the live one; then the bad one again, retried on the live one
            assertThat(get(sluice, "/app/g1").bodyText()).isEqualTo("live\n");
            RawHttp.Response retried = get(sluice, "/app/g2");
            assertThat(retried.status()).isEqualTo(200);
            assertThat(retried.bodyText()).isEqualTo("live\n");
            assertThat(bad.next().uri()).isEqualTo("/app/g2");
        }
    }

    @Test
    void postWithAnIdempotencyKeyIsRetriedOnAn502Status() throws Exception {
        try (TestUpstream bad = TestUpstream.start("bad", exchange -> {
                exchange.sendResponseHeaders(502, -1);
                exchange.close();
            });
             TestUpstream live = TestUpstream.start("live");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(
                     "retry: { attempts: 1, on: [connect_failure, 502] }", bad.address(), live.address()))) {
            RawHttp.Response post = exchange(sluice, "POST /app/p HTTP/1.1\r\nHost: h\r\n"
                    + "Idempotency-Key: \"8e03978e-40d5-43e8-bc93-6894a57f9324\"\r\nContent-Length: 4\r\n\r\ndata");
            assertThat(post.status()).isEqualTo(200);
            assertThat(bad.next().method()).isEqualTo("POST"); // the first try went to the 502 one
            TestUpstream.Received retried = live.next();
            assertThat(retried.method()).isEqualTo("POST");
            assertThat(retried.bodyText()).isEqualTo("data");
        }
    }

    @Test
    void postIsRetriedOnAConnectFailure() throws Exception {
        try (TestUpstream live = TestUpstream.start("live");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(
                     "retry: { attempts: 1, on: [connect_failure, 502] }", refusedAddress(), live.address()))) {
            RawHttp.Response post = exchange(sluice,
                    "POST /app/p HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\ndata");
            assertThat(post.status()).isEqualTo(200);
            assertThat(post.bodyText()).isEqualTo("live\n");
            TestUpstream.Received got = live.next();
            assertThat(got.method()).isEqualTo("POST");
            assertThat(got.bodyText()).isEqualTo("data");
        }
    }

    @Test
    void withoutRetryTheDeadEndpointAnswers502() throws Exception {
        try (TestUpstream live = TestUpstream.start("live");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", refusedAddress(), live.address()))) {
            assertThat(get(sluice, "/app/1").status()).isEqualTo(502);
            assertThat(get(sluice, "/app/2").status()).isEqualTo(200);
        }
    }

    @Test
    void getIsRetriedAfterATimeoutOnAnotherEndpoint() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream slow = TestUpstream.start("slow", exchange -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
            });
             TestUpstream live = TestUpstream.start("live");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(
                     "retry: { attempts: 1, on: [timeout] }\ntimeouts: { response: 300ms }",
                     slow.address(), live.address()))) {
            RawHttp.Response r = get(sluice, "/app/t");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("live\n");
            assertThat(slow.next().uri()).isEqualTo("/app/t");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aResponseBrokenAfterItStartedIsNotRetriedAndTheClientSeesItBroken() throws Exception {
        try (RawUpstream cut = RawUpstream.start((req, out) -> {
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return false;
            });
             TestUpstream live = TestUpstream.start("live");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(
                     "retry: { attempts: 1, on: [connect_failure, reset, 502] }", cut.address(), live.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /app/cut HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body().length).isLessThan(100);
            assertThat(client.closedByServer()).isTrue();
            assertThat(live.receivedCount()).isZero();
        }
    }

    @Test
    void afterA504TheClientConnectionStillWorks() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("up", exchange -> {
                if (exchange.getRequestURI().getPath().endsWith("/slow")) {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                exchange.sendResponseHeaders(200, 3);
                exchange.getResponseBody().write("ok\n".getBytes(StandardCharsets.UTF_8));
                exchange.close();
            });
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("timeouts: { response: 300ms }", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /app/slow HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(504);
            client.send("GET /app/fast HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response fast = client.read();
            assertThat(fast.status()).isEqualTo(200);
            assertThat(fast.bodyText()).isEqualTo("ok\n");
        } finally {
            release.countDown();
        }
    }
}
