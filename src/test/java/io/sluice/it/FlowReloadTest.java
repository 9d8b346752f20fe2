package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A reload changes where new requests go, and nothing else: in-flight requests and connections carry on. */
class FlowReloadTest {
    private static final String TO_A = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: first
            upstreams:
              first:
                endpoints:
                  - { address: "${UP1}" }
            """;
    private static final String TO_B = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: second
            upstreams:
              second:
                endpoints:
                  - { address: "${UP2}" }
            """;

    private static HttpResponse<String> get(SluiceUnderTest sluice, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(sluice.uri("main", path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void reloadSendsNewRequestsToTheNewUpstream() throws Exception {
        try (TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(TO_A, TestUpstream.env(a, b))) {
            int port = sluice.port("main");
            assertThat(get(sluice, "/x").body()).isEqualTo("a\n");
            sluice.reload(TO_B, TestUpstream.env(a, b));
            assertThat(sluice.port("main")).isEqualTo(port);
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = get(sluice, "/x");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("b\n");
            }
        }
    }

    @Test
    void requestInFlightDuringReloadFinishesOnTheOldConfiguration() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream a = TestUpstream.start("a", exchange -> {
            arrived.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "old\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }); TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(TO_A, TestUpstream.env(a, b))) {
            CompletableFuture<HttpResponse<String>> inFlight = HttpClient.newHttpClient().sendAsync(
                    HttpRequest.newBuilder(sluice.uri("main", "/slow")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(arrived.await(60, TimeUnit.SECONDS)).isTrue();

            sluice.reload(TO_B, TestUpstream.env(a, b));
            assertThat(get(sluice, "/new").body()).isEqualTo("b\n");
            release.countDown();

            HttpResponse<String> old = inFlight.get(60, TimeUnit.SECONDS);
            assertThat(old.statusCode()).isEqualTo(200);
            assertThat(old.body()).isEqualTo("old\n");
        }
    }

    @Test
    void reloadWithABusyAddressFailsAndKeepsTheOldConfiguration() throws Exception {
        try (TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             SluiceUnderTest sluice = SluiceUnderTest.start(TO_A, TestUpstream.env(a, b))) {
            Map<String, String> env = new HashMap<>(TestUpstream.env(a, b));
            env.put("TAKEN", "127.0.0.1:" + taken.getLocalPort());
            String withBusyListener = TO_B.replace("""
                    upstreams:""", """
                      - name: extra
                        address: "${TAKEN}"
                        routes:
                          - upstream: second
                    upstreams:""");
            assertThat(withBusyListener).contains("name: extra");

            assertThatThrownBy(() -> sluice.reload(withBusyListener, env)).isInstanceOf(Exception.class);

            HttpResponse<String> r = get(sluice, "/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).as("still on the old routes").isEqualTo("a\n");
            // and a later good reload still works
            sluice.reload(TO_B, env);
            assertThat(get(sluice, "/x").body()).isEqualTo("b\n");
        }
    }

    @Test
    void keepAliveConnectionsSurviveAReload() throws Exception {
        try (TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(TO_A, TestUpstream.env(a, b));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            RawHttp.Response first = client.send("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.bodyText()).isEqualTo("a\n");

            sluice.reload(TO_B, TestUpstream.env(a, b));

            RawHttp.Response second = client.send("GET /2 HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.bodyText()).isEqualTo("b\n");
            assertThat(second.header("connection")).isNull();
        }
    }

    @Test
    void pooledConnectionsToARemovedEndpointAreClosed() throws Exception {
        CountDownLatch oldConnectionClosed = new CountDownLatch(1);
        try (RawServer old = new RawServer((sock, i) -> {
            InputStream in = sock.getInputStream();
            while (RawServer.readHead(in) != null) {
                sock.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nold"
                        .getBytes(StandardCharsets.US_ASCII));
            }
            oldConnectionClosed.countDown();
        }); TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(TO_A, Map.of("UP1", old.address(), "UP2", b.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            assertThat(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().bodyText()).isEqualTo("old");

            sluice.reload(TO_B, Map.of("UP1", old.address(), "UP2", b.address()));

            assertThat(oldConnectionClosed.await(10, TimeUnit.SECONDS)).as("pooled connection to the removed endpoint closed")
                    .isTrue();
            assertThat(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().bodyText()).isEqualTo("b\n");
        }
    }

    @Test
    void connectionOfARequestInFlightToARemovedEndpointIsClosedWhenItFinishes() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch oldConnectionClosed = new CountDownLatch(1);
        try (RawServer old = new RawServer((sock, i) -> {
            InputStream in = sock.getInputStream();
            while (RawServer.readHead(in) != null) {
                arrived.countDown();
                release.await(20, TimeUnit.SECONDS);
                sock.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nold"
                        .getBytes(StandardCharsets.US_ASCII));
            }
            oldConnectionClosed.countDown();
        }); TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(TO_A, Map.of("UP1", old.address(), "UP2", b.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(arrived.await(60, TimeUnit.SECONDS)).isTrue();
            sluice.reload(TO_B, Map.of("UP1", old.address(), "UP2", b.address()));
            release.countDown();
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("old");

            // the endpoint left the configuration: its connection is not kept for reuse (idle timeout is 60 s)
            assertThat(oldConnectionClosed.await(10, TimeUnit.SECONDS)).as("connection to the removed endpoint closed")
                    .isTrue();
            assertThat(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().bodyText()).isEqualTo("b\n");
        }
    }
}
