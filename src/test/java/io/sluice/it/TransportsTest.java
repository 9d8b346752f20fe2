package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.sluice.runtime.Transport;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code server.transport}: the same proxying on each socket implementation (io_uring, epoll, NIO): a request
 * forwarded, a 4 MiB upload streamed up and a 4 MiB answer streamed back whole, keep-alive reuse, and the
 * transport named in {@code sluice_build_info}. The rest of the suite runs on what {@code auto} takes.
 */
class TransportsTest {
    private static final byte[] BIG = new byte[4 << 20];

    static {
        new Random(7).nextBytes(BIG);
    }

    private static String yaml(String transport) {
        return """
                server:
                  workers: 2
                  transport: %s
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - upstream: app
                upstreams:
                  app:
                    endpoints:
                      - { address: "${UP1}" }
                admin:
                  address: 127.0.0.1:0
                """.formatted(transport);
    }

    /** Echoes the SHA-256 of the request body; GET /big answers BIG. */
    private static void handle(HttpExchange exchange) throws java.io.IOException {
        byte[] answer;
        try (InputStream in = exchange.getRequestBody()) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] chunk = new byte[16384];
            for (int n; (n = in.read(chunk)) > 0; ) {
                sha.update(chunk, 0, n);
            }
            answer = exchange.getRequestURI().getPath().equals("/big") ? BIG
                    : (HexFormat.of().formatHex(sha.digest()) + "\n").getBytes();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        exchange.sendResponseHeaders(200, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void proxiesTheSameOnEveryTransport(String transport) throws Exception {
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), "io_uring is not available here");
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), "epoll is not available here");
        try (TestUpstream up = TestUpstream.start("app", TransportsTest::handle);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml(transport), TestUpstream.env(up))) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 3; i++) { // one connection, reused
                HttpResponse<String> upload = client.send(HttpRequest.newBuilder(sluice.uri("main", "/up"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(BIG)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(upload.statusCode()).isEqualTo(200);
                assertThat(upload.body().trim())
                        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BIG)));
                HttpResponse<byte[]> download = client.send(HttpRequest.newBuilder(sluice.uri("main", "/big")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(download.body()).isEqualTo(BIG);
            }
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).containsPattern("sluice_build_info\\{[^}]*transport=\"" + transport + "\"");
        }
    }

    @Test
    void autoTakesIoUringThenEpollThenNio() {
        String expected = IoUring.isAvailable() ? "io_uring" : Epoll.isAvailable() ? "epoll" : "nio";
        assumeTrue(System.getProperty("sluice.transport") == null, "-Dsluice.transport stands in for auto");
        assertThat(Transport.choose("auto").name()).isEqualTo(expected);
    }
}
