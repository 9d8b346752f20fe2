package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code mirror}: copies reach the shadow upstream whole, and a slow, failing or absent shadow never touches the client. */
class MirrorTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String config(String mirror) {
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - upstream: live
                        mirror: %s
                admin:
                  address: 127.0.0.1:0
                upstreams:
                  live: { endpoints: [ { address: "${UP1}" } ] }
                  shadow: { endpoints: [ { address: "http://${UP2}/shadow" } ] }
                """.formatted(mirror);
    }

    private HttpResponse<String> post(SluiceUnderTest sluice, String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(sluice.uri("main", path)).timeout(Duration.ofSeconds(60))
                .header("X-Test", "yes").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private long mirrored(SluiceUnderTest sluice, String result) throws Exception {
        String metrics = client.send(HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        String prefix = "sluice_mirror_requests_total{result=\"" + result + "\",upstream=\"shadow\"} ";
        for (String line : metrics.split("\n")) {
            if (line.startsWith(prefix)) {
                return (long) Double.parseDouble(line.substring(prefix.length()));
            }
        }
        return 0;
    }

    @Test
    void theShadowGetsTheSameRequestAndItsAnswerIsThrownAway() throws Exception {
        java.util.concurrent.LinkedBlockingQueue<String> shadowBodies = new java.util.concurrent.LinkedBlockingQueue<>();
        try (TestUpstream live = TestUpstream.start("live");
             TestUpstream shadow = TestUpstream.start("shadow", exchange -> {
                 shadowBodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                 byte[] b = "shadow says no".getBytes(StandardCharsets.UTF_8);
                 exchange.sendResponseHeaders(500, b.length);
                 exchange.getResponseBody().write(b);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(config("{ upstream: shadow }"),
                     TestUpstream.env(live, shadow))) {
            HttpResponse<String> r = post(sluice, "/orders?id=7", "a body");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("live\n");
            TestUpstream.Received original = live.next();
            TestUpstream.Received copy = shadow.next();
            assertThat(copy.method()).isEqualTo("POST");
            assertThat(copy.uri()).isEqualTo("/shadow/orders?id=7"); // the shadow endpoint's base path
            assertThat(shadowBodies.poll(10, TimeUnit.SECONDS)).isEqualTo("a body").isEqualTo(original.bodyText());
            assertThat(copy.header("X-Test")).isEqualTo("yes");
            assertThat(copy.header("X-Request-ID")).isEqualTo(original.header("X-Request-ID"));
            assertThat(copy.header("X-Forwarded-For")).isEqualTo(original.header("X-Forwarded-For"));
            client.send(HttpRequest.newBuilder(sluice.uri("main", "/get")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(shadow.next().method()).isEqualTo("GET");
            await().atMost(Duration.ofSeconds(60)).until(() -> mirrored(sluice, "answered") == 2);
        }
    }

    @Test
    void aStuckShadowNeverDelaysTheClientAndCopiesBeyondMaxInFlightAreDropped() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream live = TestUpstream.start("live");
             TestUpstream shadow = TestUpstream.start("shadow", exchange -> {
                 try {
                     release.await(30, TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 exchange.getRequestBody().readAllBytes();
                 exchange.sendResponseHeaders(204, -1);
                 exchange.close();
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(config("{ upstream: shadow, max_in_flight: 2 }"),
                     TestUpstream.env(live, shadow))) {
            // The shadow answers nothing until released: every client request still completes.
            for (int i = 0; i < 10; i++) {
                assertThat(post(sluice, "/x", "body " + i).body()).isEqualTo("live\n");
            }
            assertThat(live.receivedCount()).isEqualTo(10);
            assertThat(mirrored(sluice, "dropped_busy")).isEqualTo(8); // two copies hold both places
            release.countDown();
            await().atMost(Duration.ofSeconds(60)).until(() -> mirrored(sluice, "answered") == 2);
            assertThat(post(sluice, "/y", "later").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(60)).until(() -> mirrored(sluice, "answered") == 3);
        }
    }

    @Test
    void anAbsentShadowIsCountedAsFailedAndTheClientNeverNotices() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (TestUpstream live = TestUpstream.start("live");
             SluiceUnderTest sluice = SluiceUnderTest.start(config("{ upstream: shadow }"),
                     Map.of("UP1", live.address(), "UP2", "127.0.0.1:" + closed))) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = post(sluice, "/x", "b");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("live\n");
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> mirrored(sluice, "failed") == 5);
        }
    }

    @Test
    void percentCopiesAnExactShareAndBodiesOverMaxBodyAreNotCopied() throws Exception {
        try (TestUpstream live = TestUpstream.start("live");
             TestUpstream shadow = TestUpstream.start("shadow");
             SluiceUnderTest sluice = SluiceUnderTest.start(config("{ upstream: shadow, percent: 50%, max_body: 1KiB }"),
                     TestUpstream.env(live, shadow))) {
            for (int i = 0; i < 10; i++) {
                assertThat(post(sluice, "/p", "small").statusCode()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> mirrored(sluice, "answered") == 5);
            assertThat(shadow.receivedCount()).isEqualTo(5);
            String big = "x".repeat(4096);
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> r = post(sluice, "/big", big);
                assertThat(r.statusCode()).isEqualTo(200);
            }
            for (int i = 0; i < 4; i++) {
                assertThat(live.next().bodyText()).isIn("small", big);
            }
            assertThat(mirrored(sluice, "dropped_body")).isEqualTo(2); // the two of the four that were chosen
            assertThat(shadow.receivedCount()).isEqualTo(5);
        }
    }
}
