package io.sluice.it;

import static io.sluice.it.Http2AbuseTest.frame;
import static io.sluice.it.Http2AbuseTest.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 requests turned into HTTP/1.1 for the upstream (the "HTTP/2 downgrade" of PortSwigger's research,
 * RFC 9113 §8.1.1, §8.2, §8.3.1), written frame by frame on h2c: malformed requests end in RST_STREAM
 * PROTOCOL_ERROR and nothing of them reaches the upstream; well-formed ones arrive there byte for byte as
 * expected, without Netty's internal {@code x-http2-*} headers.
 */
class Http2DowngradeTest {
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
            tracing: { enabled: false }
            """;
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private static final int DATA = 0x0;
    private static final int HEADERS = 0x1;
    private static final int RST_STREAM = 0x3;
    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int PROTOCOL_ERROR = 0x1;

    // HPACK static table entries (RFC 7541 Appendix A)
    private static final byte GET = (byte) 0x82;
    private static final byte POST = (byte) 0x83;
    private static final byte PATH_ROOT = (byte) 0x84;
    private static final byte SCHEME_HTTP = (byte) 0x86;

    /** A literal field whose name is static table entry {@code index} (RFC 7541 §6.2.2), value under 127 bytes. */
    private static byte[] indexedName(int index, String value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(index);
        b.write(value.length());
        b.writeBytes(value.getBytes(StandardCharsets.ISO_8859_1));
        return b.toByteArray();
    }

    private static byte[] block(Object... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof Byte one) {
                b.write(one);
            } else {
                b.writeBytes((byte[]) p);
            }
        }
        return b.toByteArray();
    }

    private static byte[] authority(String value) {
        return indexedName(1, value);
    }

    private static byte[] path(String value) {
        return indexedName(4, value);
    }

    /** An h2c connection by prior knowledge that reads frames and decodes the HEADERS it gets. */
    private static final class H2 implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final OutputStream out;
        final DefaultHttp2HeadersDecoder hpack = new DefaultHttp2HeadersDecoder(false);

        H2(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new DataInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(frame(0x4, 0, 0, new byte[0]));
            out.flush();
        }

        H2 send(byte[]... frames) throws IOException {
            for (byte[] f : frames) {
                out.write(f);
            }
            out.flush();
            return this;
        }

        /** Reads frames until one on {@code stream} is a RST_STREAM (its error code) or a HEADERS (-1 - status). */
        int outcome(int stream) throws Exception {
            Object last = next(stream);
            return last instanceof Http2Headers head ? -Integer.parseInt(head.status().toString()) : (Integer) last;
        }

        /** Reads frames until the HEADERS of {@code stream}, and returns its fields. */
        Http2Headers responseHead(int stream) throws Exception {
            Object last = next(stream);
            assertThat(last).as("stream %d reset", stream).isInstanceOf(Http2Headers.class);
            return (Http2Headers) last;
        }

        /** Reads frames until a HEADERS (its fields) or a RST_STREAM (its error code) on {@code stream}. */
        private Object next(int stream) throws Exception {
            while (true) {
                int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
                int type = in.readUnsignedByte();
                in.readUnsignedByte(); // flags
                int id = in.readInt() & 0x7fffffff;
                byte[] payload = new byte[length];
                in.readFully(payload);
                if (type == HEADERS) {
                    Http2Headers h = hpack.decodeHeaders(id, Unpooled.wrappedBuffer(payload));
                    if (id == stream) {
                        return h;
                    }
                }
                if (type == RST_STREAM && id == stream) {
                    return ((payload[0] & 0xff) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8)
                            | (payload[3] & 0xff);
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** The bytes an h2 GET of {@code path} on :authority h with X-Request-ID {@code id} arrives upstream as. */
    private static String forwardedGet(String path, String id) {
        return "GET " + path + " HTTP/1.1\r\nhost: h\r\n"
                + "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n"
                + "X-Real-IP: 127.0.0.1\r\nX-Forwarded-Port: P\r\nX-Request-ID: " + id + "\r\n\r\n";
    }

    private static byte[] getHeaders(int stream, String path, String id) {
        return frame(HEADERS, END_HEADERS | END_STREAM, stream,
                block(GET, SCHEME_HTTP, path(path), authority("h"), literal("x-request-id", id)));
    }

    /** Sends {@code frames} on stream 1, expects {@code outcome}, then a good GET on stream 3: all the upstream sees. */
    private static void malformed(String name, int outcome, byte[]... frames) throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             H2 h2 = new H2(sluice.port("main"))) {
            assertThat(h2.send(frames).outcome(1)).as(name).isEqualTo(outcome);
            assertThat(h2.send(getHeaders(3, "/sentinel", "s")).outcome(3)).as(name + ": the connection goes on")
                    .isEqualTo(-200);
            String expected = forwardedGet("/sentinel", "s");
            await().atMost(Duration.ofSeconds(60)).until(() -> SmugglingTest.wire(up).length() >= expected.length());
            assertThat(SmugglingTest.wire(up)).as(name).isEqualTo(expected);
        }
    }

    @Test
    void aWellFormedRequestArrivesWithoutNettysInternalHeaders() throws Exception {
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             H2 h2 = new H2(sluice.port("main"))) {
            assertThat(h2.send(getHeaders(1, "/a?b=%61", "r1")).outcome(1)).isEqualTo(-200);
            String expected = forwardedGet("/a?b=%61", "r1");
            await().atMost(Duration.ofSeconds(60)).until(() -> SmugglingTest.wire(up).length() >= expected.length());
            assertThat(SmugglingTest.wire(up)).isEqualTo(expected).doesNotContain("x-http2");
        }
    }

    @Test
    void aResponseHeadArrivesWithLowerCaseNamesAndWithoutConnectionFields() throws Exception {
        String response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Custom-Thing: v1\r\nx-lower: v2\r\n"
                + "Set-Cookie: a=b; Path=/\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
                + "Connection: X-Drop\r\nX-Drop: secret\r\nCACHE-CONTROL: no-store\r\nContent-Length: 2\r\n\r\nok";
        try (RawUpstream up = RawUpstream.answering(response);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             H2 h2 = new H2(sluice.port("main"))) {
            for (int stream : new int[] {1, 3}) { // the second on a pooled upstream connection
                Http2Headers head = h2.send(getHeaders(stream, "/a", "r" + stream)).responseHead(stream);
                assertThat(head.status()).hasToString("200");
                assertThat(head.get("content-type")).hasToString("text/plain");
                assertThat(head.get("x-custom-thing")).hasToString("v1");
                assertThat(head.get("x-lower")).hasToString("v2");
                assertThat(head.get("set-cookie")).hasToString("a=b; Path=/");
                assertThat(head.get("cache-control")).hasToString("no-store");
                assertThat(head.get("content-length")).hasToString("2");
                for (String gone : new String[] {"keep-alive", "proxy-connection", "connection", "x-drop"}) {
                    assertThat(head.contains(gone)).as(gone).isFalse();
                }
                head.forEach(field -> assertThat(field.getKey().toString())
                        .isEqualTo(field.getKey().toString().toLowerCase(java.util.Locale.ROOT)));
            }
        }
    }

    @Test
    void headersWithoutMethodThatEndTheStreamAreAStreamErrorNotAHang() throws Exception {
        malformed("no :method, END_STREAM", PROTOCOL_ERROR,
                frame(HEADERS, END_HEADERS | END_STREAM, 1, block(SCHEME_HTTP, PATH_ROOT, authority("h"))));
    }

    @Test
    void headersWithoutMethodAreAStreamError() throws Exception {
        malformed("no :method", PROTOCOL_ERROR,
                frame(HEADERS, END_HEADERS, 1, block(SCHEME_HTTP, PATH_ROOT, authority("h"))),
                frame(DATA, END_STREAM, 1, "x".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void headersWithoutSchemeAreAStreamError() throws Exception {
        malformed("no :scheme", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, PATH_ROOT, authority("h"))));
    }

    @Test
    void anAbsolutePathIsAStreamError() throws Exception {
        malformed("absolute :path", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, SCHEME_HTTP, path("http://evil.example/admin"), authority("h"))));
    }

    @Test
    void aFragmentInThePathIsAStreamError() throws Exception {
        malformed(":path with a fragment", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, SCHEME_HTTP, path("/public#/../admin"), authority("h"))));
    }

    @Test
    void anEmptyPathIsAStreamError() throws Exception {
        malformed("empty :path", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, SCHEME_HTTP, path(""), authority("h"))));
    }

    @Test
    void aMalformedContentLengthIsProtocolErrorNotCancel() throws Exception {
        malformed("content-length: abc", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS, 1,
                block(POST, SCHEME_HTTP, PATH_ROOT, authority("h"), literal("content-length", "abc"))),
                frame(DATA, END_STREAM, 1, "abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void transferEncodingInAnH2RequestIsAStreamError() throws Exception {
        // H2.TE: a chunked body in the DATA frames that would follow would be a second request to a naive
        // downgrade. The HEADERS alone are refused (RFC 9113 §8.2.2); DATA after them would be a connection
        // error, the stream never having opened.
        malformed("transfer-encoding", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS, 1,
                block(POST, SCHEME_HTTP, PATH_ROOT, authority("h"), literal("transfer-encoding", "chunked"))));
    }

    @Test
    void crlfInAFieldValueIsAStreamError() throws Exception {
        // H2.CRLF: the value would split into two header lines on HTTP/1.1
        malformed("CRLF in a value", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, SCHEME_HTTP, PATH_ROOT, authority("h"), literal("x-a", "b\r\nTransfer-Encoding: chunked"))));
    }

    /**
     * Requests Netty's h2-to-HTTP/1.1 conversion refuses (it leaked the empty body it had allocated for them,
     * found by fuzzing: FuzzFindingsTest): malformed, reset before they get there.
     */
    @Test
    void whatCannotBecomeAnHttp1RequestIsAStreamError() throws Exception {
        malformed(":method with a space", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(indexedName(2, "GET X"), SCHEME_HTTP, PATH_ROOT, authority("h"))));
        malformed(":path with a space", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, SCHEME_HTTP, path("/a b"), authority("h"))));
        malformed("CONNECT without :authority", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(indexedName(2, "CONNECT"))));
    }

    @Test
    void anUppercaseFieldNameIsAStreamError() throws Exception {
        malformed("uppercase name", PROTOCOL_ERROR, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, SCHEME_HTTP, PATH_ROOT, authority("h"), literal("X-Upper", "1"))));
    }

    @Test
    void anAuthorityWithUserinfoIsRefused() throws Exception {
        malformed(":authority with userinfo", -400, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, SCHEME_HTTP, PATH_ROOT, authority("user@h"))));
    }

    @Test
    void aPathAboveTheRootIsRefused() throws Exception {
        malformed(":path /../x", -400, frame(HEADERS, END_HEADERS | END_STREAM, 1,
                block(GET, SCHEME_HTTP, path("/../x"), authority("h"))));
    }

    @Test
    void dataBeyondContentLengthNeverReachesTheUpstream() throws Exception {
        // H2.CL: content-length 0 with a body that is a whole request; the proxy may have sent the head already
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
        try (RawUpstream up = RawUpstream.answering(OK);
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             H2 h2 = new H2(sluice.port("main"))) {
            h2.send(frame(HEADERS, END_HEADERS, 1, block(POST, SCHEME_HTTP, PATH_ROOT, authority("h"),
                            literal("x-request-id", "r1"), literal("content-length", "0"))),
                    frame(DATA, END_STREAM, 1, smuggled.getBytes(StandardCharsets.US_ASCII)));
            // With content-length 0 the request is whole at its HEADERS: the upstream's 200 may come back before
            // the DATA frame is read and the stream reset. Either way the DATA never goes upstream.
            assertThat(h2.outcome(1)).isIn(PROTOCOL_ERROR, -200);
            assertThat(h2.send(getHeaders(3, "/sentinel", "s")).outcome(3)).isEqualTo(-200);
            String sentinel = forwardedGet("/sentinel", "s");
            await().atMost(Duration.ofSeconds(60)).until(() -> SmugglingTest.wire(up).endsWith(sentinel));
            String head = "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n"
                    + "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n"
                    + "X-Real-IP: 127.0.0.1\r\nX-Forwarded-Port: P\r\nX-Request-ID: r1\r\n\r\n";
            assertThat(SmugglingTest.wire(up)).isIn(sentinel, head + sentinel);
        }
    }
}
