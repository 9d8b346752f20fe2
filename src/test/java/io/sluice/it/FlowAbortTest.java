package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Either side going away mid-exchange ends the other side's connection; nothing looks complete that isn't. */
class FlowAbortTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /ok }
                    respond: { status: 200, body: "ok\\n" }
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            """;

    private static Map<String, String> env(RawServer up) {
        return Map.of("UP1", up.address());
    }

    private static void assertProxyStillServes(SluiceUnderTest sluice) throws IOException {
        try (RawHttp next = new RawHttp(sluice.port("main"))) {
            RawHttp.Response ok = next.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.bodyText()).isEqualTo("ok\n");
        }
    }

    /** Everything the server sends until it closes (bounded by the socket timeout). */
    private static byte[] readToEnd(Socket socket) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) != -1) {
                all.write(buf, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // a reset is a close too
        }
        return all.toByteArray();
    }

    @Test
    void clientLeavingMidUploadClosesTheUpstreamConnection() throws Exception {
        long length = 64L * 1024 * 1024;
        AtomicLong upstreamGot = new AtomicLong();
        AtomicReference<String> upstreamSaw = new AtomicReference<>();
        CountDownLatch ended = new CountDownLatch(1);
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            String head = RawServer.readHead(in);
            long expected = RawServer.contentLength(head);
            byte[] buf = new byte[64 * 1024];
            try {
                while (upstreamGot.get() < expected) {
                    int n = in.read(buf);
                    if (n == -1) {
                        upstreamSaw.set("eof");
                        break;
                    }
                    upstreamGot.addAndGet(n);
                }
            } catch (IOException e) {
                upstreamSaw.set("error");
            }
            ended.countDown();
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up))) {
            Socket client = new Socket("127.0.0.1", sluice.port("main"));
            OutputStream out = client.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1024 * 1024]);
            out.flush();
            await().atMost(Duration.ofSeconds(60)).until(() -> upstreamGot.get() > 0);
            client.setSoLinger(true, 0);
            client.close();

            assertThat(ended.await(60, TimeUnit.SECONDS)).as("upstream saw its connection end").isTrue();
            assertThat(upstreamSaw.get()).isIn("eof", "error");
            assertThat(upstreamGot.get()).isLessThan(length);
            assertProxyStillServes(sluice);
        }
    }

    @Test
    void clientLeavingWhileWaitingForASlowResponseClosesTheUpstreamConnection() throws Exception {
        CountDownLatch requestArrived = new CountDownLatch(1);
        CountDownLatch upstreamSawClose = new CountDownLatch(1);
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            assertThat(RawServer.readHead(in)).startsWith("GET /slow");
            requestArrived.countDown();
            try {
                if (in.read() == -1) { // never answers; waits for the proxy to give up the connection
                    upstreamSawClose.countDown();
                }
            } catch (IOException e) {
                upstreamSawClose.countDown();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up))) {
            RawHttp client = new RawHttp(sluice.port("main"));
            client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(requestArrived.await(60, TimeUnit.SECONDS)).isTrue();
            client.close();

            assertThat(upstreamSawClose.await(60, TimeUnit.SECONDS)).as("upstream connection closed").isTrue();
            assertProxyStillServes(sluice);
        }
    }

    @Test
    void clientLeavingMidDownloadClosesTheUpstreamConnection() throws Exception {
        CountDownLatch writeFailed = new CountDownLatch(1);
        AtomicLong upstreamWrote = new AtomicLong();
        try (RawServer up = new RawServer((socket, i) -> {
            RawServer.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            long size = 1024L * 1024 * 1024;
            byte[] block = new byte[64 * 1024];
            try {
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                for (long done = 0; done < size; done += block.length) {
                    out.write(block);
                    upstreamWrote.addAndGet(block.length);
                }
            } catch (IOException e) {
                writeFailed.countDown();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up))) {
            RawHttp client = new RawHttp(sluice.port("main"));
            client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
            InputStream in = client.socket().getInputStream();
            assertThat(RawServer.readHead(in)).startsWith("HTTP/1.1 200");
            assertThat(RawServer.skip(in, 1024 * 1024)).isEqualTo(1024 * 1024);
            client.close();

            assertThat(writeFailed.await(10, TimeUnit.SECONDS)).as("upstream's writes failed: connection closed")
                    .isTrue();
            assertThat(upstreamWrote.get()).isLessThan(1024L * 1024 * 1024);
            assertProxyStillServes(sluice);
        }
    }

    @Test
    void upstreamDyingMidResponseWithContentLengthGivesATruncatedResponse() throws Exception {
        try (RawServer up = new RawServer((socket, i) -> {
            RawServer.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /dies HTTP/1.1\r\nHost: t\r\n\r\n");
            String all = new String(readToEnd(client.socket()), StandardCharsets.ISO_8859_1);

            assertThat(all).startsWith("HTTP/1.1 200");
            int bodyStart = all.indexOf("\r\n\r\n") + 4;
            assertThat(all).contains("Content-Length: 1000");
            assertThat(all.length() - bodyStart).as("body bytes the client got").isLessThan(1000);
            assertProxyStillServes(sluice);
        }
    }

    @Test
    void upstreamDyingMidChunkedResponseNeverEndsTheChunkedBody() throws Exception {
        try (RawServer up = new RawServer((socket, i) -> {
            RawServer.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /dies HTTP/1.1\r\nHost: t\r\n\r\n");
            String all = new String(readToEnd(client.socket()), StandardCharsets.ISO_8859_1);

            assertThat(all).startsWith("HTTP/1.1 200");
            String body = all.substring(all.indexOf("\r\n\r\n") + 4);
            assertThat(body).as("chunked body never terminated").doesNotContain("0\r\n\r\n");
            assertProxyStillServes(sluice);
        }
    }

    @Test
    void upstreamClosingBeforeAnyResponseGives502AndTheConnectionCarriesOn() throws Exception {
        try (RawServer up = new RawServer((socket, i) -> {
            RawServer.readHead(socket.getInputStream()); // then hangs up without a word
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            RawHttp.Response r = client.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi").read();
            assertThat(r.status()).isEqualTo(502);
            RawHttp.Response ok = client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(ok.status()).isEqualTo(200);
        }
    }

    @Test
    void malformedUpstreamResponseGives502() throws Exception {
        try (RawServer up = new RawServer((socket, i) -> {
            RawServer.readHead(socket.getInputStream());
            socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().read();
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            RawHttp.Response r = client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(502);
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
        }
    }

    @Test
    void responseTimeoutGives504AndClosesTheUpstreamConnection() throws Exception {
        CountDownLatch upstreamSawClose = new CountDownLatch(1);
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            RawServer.readHead(in);
            try {
                if (in.read() == -1) {
                    upstreamSawClose.countDown();
                }
            } catch (IOException e) {
                upstreamSawClose.countDown();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML + "    timeouts: { response: 300ms }\n", env(up));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            RawHttp.Response r = client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(504);
            assertThat(upstreamSawClose.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
        }
    }
}
