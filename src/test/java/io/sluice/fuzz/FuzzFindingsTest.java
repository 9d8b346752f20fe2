package io.sluice.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.sluice.it.RawHttp;
import io.sluice.it.SluiceUnderTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What the fuzz targets found, each as a plain test with the input (the inputs also stay in the targets'
 * corpora). Run through the same embedded pipeline as the targets ({@link ProxyHarness}).
 */
class FuzzFindingsTest {

    /**
     * Http1RequestFuzzTest: a Content-Length with leading zeros was passed on as the client wrote it. An
     * upstream that reads "010" as octal (8), or stops at some number of digits, frames the body otherwise
     * than the proxy did, and the rest of it becomes the next request on a pooled connection. The proxy now
     * sends the number it read, in its one decimal form.
     */
    @Test
    void contentLengthIsForwardedInItsCanonicalForm() {
        UpstreamRequestParser.Request forwarded = forward(
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 010\r\n\r\n0123456789");
        assertThat(forwarded.header("Content-Length")).isEqualTo("10");
        assertThat(new String(forwarded.body(), StandardCharsets.ISO_8859_1)).isEqualTo("0123456789");
    }

    @Test
    void aHugeContentLengthWithLeadingZerosIsForwardedWithout() {
        try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
            c.send(bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 07766279631452241920\r\n\r\nabc"));
            String head = c.upstreamBytes();
            assertThat(head).containsIgnoringCase("Content-Length: 7766279631452241920\r\n").doesNotContain(": 0776");
        }
    }

    /**
     * Http1RequestFuzzTest: control bytes in the request target (here CAN, 0x18, after a '#') were passed on
     * as received. RFC 9112 allows none there, and an upstream that takes one for whitespace splits the
     * request line otherwise than the proxy did. Now a 400, and nothing reaches the upstream.
     */
    @Test
    void controlBytesInTheTargetAreRefused() {
        for (String target : new String[] {"/a#\u0018b", "/a\u000bb", "/a\u000cb?x", "/a\u007f", "/\u0000"}) {
            try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
                c.send(bytes("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n"));
                assertThat(c.bytesUpstream()).as(target).isZero();
                assertThat(c.responses()).as(target).startsWith("HTTP/1.1 400 ");
            }
        }
    }

    /**
     * Http1RequestFuzzTest (found by the timed run in CI): a request line with {@code HTTP/2.1} was forwarded.
     * Only HTTP/1.x is read on an HTTP/1.1 connection; any other major version is answered 505 and closed.
     */
    @Test
    void anotherMajorVersionIs505AndReachesNoUpstream() {
        for (String version : new String[] {"HTTP/2.1", "HTTP/2.0", "HTTP/3.0"}) {
            try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
                c.send(bytes("GET / " + version + "\r\nHost: h\r\n\r\n"));
                assertThat(c.bytesUpstream()).as(version).isZero();
                assertThat(c.responses()).as(version).startsWith("HTTP/1.1 505 ");
            }
            try (ProxyHarness.Connection c = ProxyHarness.get().connect()) { // the corpus input: with an h2c Upgrade
                c.send(bytes("GET / " + version + "\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                        + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"));
                assertThat(c.bytesUpstream()).as(version).isZero();
                assertThat(c.responses()).as(version).startsWith("HTTP/1.1 505 ");
            }
        }
    }

    private static UpstreamRequestParser.Request forward(String request) {
        try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
            c.send(bytes(request));
            assertThat(c.requests()).hasSize(1);
            return c.requests().get(0);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Http1RequestFuzzTest (timed run in CI): an HTTP/1.0 request with two Content-Length headers was forwarded
     * with both. Netty refuses repeated Content-Length only in HTTP/1.1 and frames an HTTP/1.0 body by the first
     * value; an upstream that takes the last would read the body differently. Now a 400 in every version, and
     * nothing reaches the upstream.
     */
    @Test
    void repeatedContentLengthIsRefusedInHttp10Too() {
        for (String request : new String[] {
                "POST / HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
                "POST / HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc",
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"}) {
            try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
                c.send(bytes(request));
                assertThat(c.bytesUpstream()).as(request).isZero();
                assertThat(c.responses()).as(request).startsWith("HTTP/1.1 400 ");
            }
        }
    }

    /**
     * Http1RequestFuzzTest (timed run in CI): a request line with a form feed and a tab between its parts
     * ("POASSD /HUTP1.2\f\tHTTP/1.0") was split by Netty at any whitespace and forwarded cleaned up. Only SP
     * separates the parts (RFC 9112 §3): 400, nothing upstream.
     */
    @Test
    void aControlByteInTheRequestLineIsRefused() {
        for (String request : new String[] {
                "POASSD /HUTP1.2\f\tHTTP/1.0\r\nConteLnnd-gt: h\r\n\r\n",
                "GET /\tHTTP/1.1\r\nHost: h\r\n\r\n",
                "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
                "GET /a\u000bb HTTP/1.1\r\nHost: h\r\n\r\n",
                "GET / HTTP/1.1\u007f\r\nHost: h\r\n\r\n"}) {
            try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
                c.send(bytes(request));
                assertThat(c.bytesUpstream()).as(request).isZero();
                assertThat(c.responses()).as(request).startsWith("HTTP/1.1 400 ");
            }
        }
        try (ProxyHarness.Connection c = ProxyHarness.get().connect()) { // SP only: forwarded
            c.send(bytes("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n"));
            assertThat(c.bytesUpstream()).isPositive();
        }
    }

    /**
     * Http1RequestFuzzTest (timed run in CI): a request with two Host fields that asked for h2c was upgraded,
     * and the upgraded stream skipped the HTTP/1.1 request checks, so it was forwarded. A request that fails
     * them is not upgraded: 400, nothing upstream.
     */
    @Test
    void aBadRequestAskingForH2cIsNotUpgraded() {
        try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
            c.send(bytes("GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                    + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAEIAAAAA\r\n\r\n"));
            assertThat(c.bytesUpstream()).isZero();
            assertThat(c.responses()).startsWith("HTTP/1.1 400 ");
        }
    }

    /**
     * Http1RequestFuzzTest (timed run in CI): an absolute-form request with two Host fields was forwarded with
     * the target's authority as its Host. RFC 9112 §3.2 makes more than one Host field (or a bad one) a 400
     * whatever the target's form. Here the reverse proxy; {@link #twoHostsBesideAnAbsoluteFormAreRefusedOverSockets}
     * a forward proxy too.
     */
    @Test
    void twoHostsBesideAnAbsoluteFormAreRefused() {
        for (String request : new String[] {
                "GET http://a.example/ HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
                "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n",
                "GET http://a.example/ HTTP/1.1\r\nHost: x y\r\n\r\n"}) {
            try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
                c.send(bytes(request));
                assertThat(c.bytesUpstream()).as(request).isZero();
                assertThat(c.responses()).as(request).startsWith("HTTP/1.1 400 ");
                assertThat(c.client.isOpen()).as(request).isFalse();
            }
        }
    }

    /** The same through real sockets: a reverse-proxy listener, a forward proxy (absolute-form and CONNECT). */
    @Test
    void twoHostsBesideAnAbsoluteFormAreRefusedOverSockets() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        upstream.accept().close();
                        accepted.incrementAndGet();
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            int port = upstream.getLocalPort();
            String yaml = """
                    listeners:
                      - name: reverse
                        address: 127.0.0.1:0
                        routes:
                          - upstream: app
                      - name: egress
                        address: 127.0.0.1:0
                        forward_proxy:
                          allow: ["127.0.0.1:%d"]
                    upstreams:
                      app:
                        endpoints:
                          - { address: "127.0.0.1:%d" }
                    """.formatted(port, port);
            try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml)) {
                String target = "http://127.0.0.1:" + port + "/";
                String[][] cases = {
                        {"reverse", "GET " + target + " HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"},
                        {"egress", "GET " + target + " HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"},
                        {"egress", "GET " + target + " HTTP/1.1\r\nHost: x/y\r\n\r\n"},
                        {"egress", "CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"}};
                for (String[] c : cases) {
                    try (RawHttp client = new RawHttp(sluice.port(c[0]))) {
                        client.send(c[1]);
                        assertThat(client.read().status()).as(c[1]).isEqualTo(400);
                        assertThat(client.closedByServer()).as(c[1]).isTrue();
                    }
                }
                // a good request on each listener afterwards: the upstream was reachable all along
                try (RawHttp client = new RawHttp(sluice.port("egress"))) {
                    client.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    client.read();
                }
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> accepted.get() == 1);
            }
        }
    }

    /**
     * Http2FrameFuzzTest (timed run in CI, reported by the leak detector after the run): a request ending with
     * its HEADERS frame whose fields Netty's h2-to-HTTP/1.1 conversion refuses left the empty body Netty had
     * allocated for it unreleased. Now no buffer is kept (the harness tracks a stream's buffers too), and such
     * a request is malformed: its stream is reset, nothing reaches the upstream.
     */
    @Test
    void anH2RequestNettyCannotConvertKeepsNoBuffer() throws Exception {
        Http2Headers[] refused = {
                new DefaultHttp2Headers(false).method("CONNECT"), // no :authority
                new DefaultHttp2Headers(false).method("GET X").scheme("http").path("/").authority("h"),
                new DefaultHttp2Headers(false).method("G\u0001T").scheme("http").path("/").authority("h"),
                new DefaultHttp2Headers(false).method("GET").scheme("http").path("/a b").authority("h")};
        for (Http2Headers headers : refused) {
            try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
                c.send(Http2FrameFuzzTest.preface());
                ByteBuf block = Unpooled.buffer();
                new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE, true).encodeHeaders(1, headers, block);
                ByteArrayOutputStream frame = new ByteArrayOutputStream();
                Http2FrameFuzzTest.writeFrame(frame, 0x1, 0x5, 1, ByteBufUtil.getBytes(block)); // END_STREAM|END_HEADERS
                block.release();
                c.send(frame.toByteArray());
                assertThat(c.bytesUpstream()).as(headers.toString()).isZero();
            } // close(): every buffer the connection and its streams allocated is released
        }
    }

    /**
     * Http1RequestFuzzTest (a local timed run): a {@code Host} field in a chunked request's trailers reached the
     * upstream. Netty's decoder drops Content-Length, Transfer-Encoding and Trailer from trailers, not Host; a
     * routing field may not be a trailer (RFC 9110 §6.5.1), so the proxy drops it too, as it does for HTTP/2.
     */
    @Test
    void aHostTrailerIsDropped() {
        try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
            c.send(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\nHost: evil\r\nX-Checksum: 1\r\n\r\n"));
            assertThat(c.requests()).hasSize(1);
            String trailers = c.upstreamBytes().substring(c.upstreamBytes().indexOf("\r\n0\r\n"));
            assertThat(trailers).doesNotContainIgnoringCase("host").containsIgnoringCase("x-checksum: 1");
        }
    }
}
