package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 attacks on an h2c listener, written frame by frame: each must end the attacker's connection
 * with GOAWAY while the proxy goes on serving everyone else.
 */
class Http2AbuseTest {
    static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - respond: { status: 200, body: "ok\\n" }
            """;
    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int GOAWAY = 0x7;
    static final int CONTINUATION = 0x9;
    static final int END_STREAM = 0x1;
    static final int END_HEADERS = 0x4;
    /** GET / with :authority localhost, in HPACK: indexed :method GET, :scheme http, :path /, literal :authority. */
    static final byte[] GET = {(byte) 0x82, (byte) 0x86, (byte) 0x84, 0x01, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't'};

    @Test
    void rapidResetEndsTheConnectionWithGoaway() throws Exception {
        try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML); Socket s = open(sluice)) {
            OutputStream out = s.getOutputStream();
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < 1000; i++) {
                int stream = 2 * i + 1;
                burst.write(frame(HEADERS, END_HEADERS, stream, GET));
                burst.write(frame(RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8})); // CANCEL
            }
            try {
                out.write(burst.toByteArray());
                out.flush();
            } catch (SocketException closedUnderUs) {
                // the proxy may close before the whole burst is written
            }
            assertThat(readUntilGoaway(s)).isEqualTo(0xb); // ENHANCE_YOUR_CALM
            assertOthersAreServed(sluice);
        }
    }

    @Test
    void continuationFloodEndsTheConnectionWithGoaway() throws Exception {
        try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML); Socket s = open(sluice)) {
            OutputStream out = s.getOutputStream();
            out.write(frame(HEADERS, 0, 1, GET)); // no END_HEADERS: CONTINUATION frames must follow
            byte[] field = literal("x-flood", "a".repeat(200));
            try {
                for (int i = 0; i < 20_000; i++) {
                    out.write(frame(CONTINUATION, 0, 1, field));
                }
                out.flush();
            } catch (SocketException closedUnderUs) {
                // expected: the proxy stops reading and closes long before 4 MB of headers
            }
            int code = readUntilGoaway(s);
            assertThat(code).isIn(0x1, 0x6, 0xb); // PROTOCOL_ERROR, FRAME_SIZE_ERROR or ENHANCE_YOUR_CALM
            assertOthersAreServed(sluice);
        }
    }

    @Test
    void aStreamWhoseBodyStallsIsAnsweredAndResetWhileTheConnectionGoesOn() throws Exception {
        String yaml = """
                server:
                  client_timeouts: { request_body: 400ms }
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - match: { methods: [GET] }
                        respond: { status: 200, body: "ok\\n" }
                      - upstream: app
                upstreams:
                  app: { endpoints: [ { address: "${UP1}" } ] }
                """;
        byte[] post = GET.clone();
        post[0] = (byte) 0x83; // :method POST
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, java.util.Map.of("UP1", up.address()));
             Socket s = open(sluice)) {
            OutputStream out = s.getOutputStream();
            out.write(frame(HEADERS, END_HEADERS, 1, post));   // a body follows ...
            out.write(frame(DATA, 0, 1, "0123456789".getBytes(StandardCharsets.US_ASCII))); // ... and stops
            out.flush();

            DataInputStream in = new DataInputStream(s.getInputStream());
            java.util.List<Integer> stream1 = new java.util.ArrayList<>();
            int type;
            do {
                int[] f = readFrame(in);
                type = f[0];
                if (f[1] == 1) {
                    stream1.add(type);
                }
            } while (!(type == RST_STREAM && stream1.contains(RST_STREAM)));
            assertThat(stream1).startsWith(HEADERS).endsWith(RST_STREAM); // the 408, then the reset
            assertThat(up.receivedCount()).isZero();

            out.write(frame(HEADERS, END_HEADERS | END_STREAM, 3, GET)); // the connection still serves
            out.flush();
            int[] f;
            do {
                f = readFrame(in);
            } while (!(f[0] == HEADERS && f[1] == 3));
        }
    }

    /** One frame's type and stream id; the payload is skipped. */
    private static int[] readFrame(DataInputStream in) throws IOException {
        int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
        int type = in.readUnsignedByte();
        in.readUnsignedByte(); // flags
        int stream = in.readInt() & 0x7fffffff;
        in.readFully(new byte[length]);
        return new int[] {type, stream};
    }

    private static Socket open(SluiceUnderTest sluice) throws IOException {
        Socket s = new Socket("127.0.0.1", sluice.port("main"));
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.write(frame(SETTINGS, 0, 0, new byte[0]));
        out.flush();
        return s;
    }

    /** Reads frames until a GOAWAY, returns its error code; then expects the connection to close. */
    private static int readUntilGoaway(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        while (true) {
            int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            in.readUnsignedByte(); // flags
            in.readInt(); // stream id
            byte[] payload = new byte[length];
            in.readFully(payload);
            if (type == GOAWAY) {
                int code = ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8)
                        | (payload[7] & 0xff);
                try {
                    while (in.read(payload.length == 0 ? new byte[64] : payload) >= 0) {
                        // drain to the close
                    }
                } catch (SocketException | EOFException reset) {
                    // closed with a reset: fine too
                }
                return code;
            }
        }
    }

    private static void assertOthersAreServed(SluiceUnderTest sluice) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(sluice.uri("main", "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok\n");
    }

    static byte[] frame(int type, int flags, int stream, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (stream >>> 24);
        f[6] = (byte) (stream >>> 16);
        f[7] = (byte) (stream >>> 8);
        f[8] = (byte) stream;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    /** A literal header field without indexing, new name (RFC 7541 §6.2.2), lengths under 127. */
    static byte[] literal(String name, String value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.write(name.length());
        b.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
        if (value.length() < 127) {
            b.write(value.length());
        } else {
            b.write(127);
            int rest = value.length() - 127;
            while (rest >= 128) {
                b.write((rest & 0x7f) | 0x80);
                rest >>>= 7;
            }
            b.write(rest);
        }
        b.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }
}
