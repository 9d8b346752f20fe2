package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code timeouts.read} (nginx's proxy_read_timeout): an upstream that stops sending a response body is
 * cut off and the client sees the response broken; a client too slow to take the body is not the
 * upstream's fault.
 */
class UpstreamReadTimeoutTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes: [ { upstream: app } ]
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
                timeouts: { read: 1s }
            """;

    /** Reads what comes until the server closes (a reset counts as a close). */
    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) != -1) {
                all.write(buf, 0, n);
            }
        } catch (SocketException reset) {
            // closed
        }
        return all.toByteArray();
    }

    @Test
    void anUpstreamThatStallsMidBodyIsCutAndTheClientSeesTheResponseBroken() throws Exception {
        CountDownLatch upstreamClosed = new CountDownLatch(1);
        try (RawServer up = new RawServer((socket, i) -> {
            RawServer.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // ... and nothing more, until the proxy gives up on this connection.
            try {
                if (socket.getInputStream().read() == -1) {
                    upstreamClosed.countDown();
                }
            } catch (SocketException reset) {
                upstreamClosed.countDown();
            }
        });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             Socket client = new Socket("127.0.0.1", sluice.port("main"))) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write("GET /stall HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

            String got = new String(readToEnd(client.getInputStream()), StandardCharsets.ISO_8859_1);
            assertThat(got).startsWith("HTTP/1.1 200 OK").contains("Content-Length: 1000").endsWith("\r\n\r\n0123456789");
            assertThat(upstreamClosed.await(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * The upstream answers before the request body has ended, then stalls: the end of the body the client
     * sends afterwards must not stop the read timeout (it used to switch to the response timeout, which does
     * nothing once a head came, and the exchange hung).
     */
    @Test
    void theReadTimeoutStillRunsWhenTheRequestBodyEndsAfterTheResponseHead() throws Exception {
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            RawServer.readHead(in);
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            try {
                while (in.read() != -1) {
                    // the rest of the request body, then nothing more is sent
                }
            } catch (SocketException reset) {
                // the proxy gave up on this connection
            }
        });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
            assertThat(client.readHead().status()).isEqualTo(200);
            assertThat(new String(client.readChunk(), StandardCharsets.US_ASCII)).isEqualTo("a");
            client.send("0\r\n\r\n"); // the body ends after the response head came
            client.socket().setSoTimeout(10_000); // timeouts.read is 1s
            assertThat(client.closedByServer()).as("response cut off without its last chunk").isTrue();
        }
    }

    @Test
    void aSlowClientDoesNotCountAgainstTheUpstream() throws Exception {
        int length = 16 * 1024 * 1024; // far more than the socket buffers between the two hold
        try (RawServer up = new RawServer((socket, i) -> {
            RawServer.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[length]);
            out.flush();
        });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.socket().setReceiveBufferSize(64 * 1024);
            client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
            InputStream in = client.socket().getInputStream();
            assertThat(in.read()).isEqualTo('H');
            // A client that takes nothing for longer than timeouts.read: the proxy stops reading the
            // upstream meanwhile (backpressure), and that pause is the client's, not the upstream's.
            new CountDownLatch(1).await(2500, TimeUnit.MILLISECONDS);

            byte[] rest = readHeadAndBody(in);
            assertThat(rest.length).isEqualTo(length);
        }
    }

    /** After the first byte of the status line: skips the head, reads the Content-Length body. */
    private static byte[] readHeadAndBody(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder("H");
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                throw new IOException("closed inside the head");
            }
            head.append((char) b);
        }
        String text = head.toString().toLowerCase(java.util.Locale.ROOT);
        int at = text.indexOf("content-length:") + "content-length:".length();
        int length = Integer.parseInt(text.substring(at, text.indexOf("\r\n", at)).trim());
        return in.readNBytes(length);
    }
}
