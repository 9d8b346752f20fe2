package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.util.AsciiString;
import java.io.ByteArrayOutputStream;

/**
 * Fuzz target: an HTTP/2 connection (h2c by prior knowledge) whose frames are built from the input, fed
 * frame by frame to the real pipeline: Netty's frame codec with Sluice's limits, a stream channel per
 * request, the h2-to-HTTP/1.1 conversion, DownstreamHandler, forwarding over embedded upstream connections
 * ({@link ProxyHarness}). Nothing may escape as an exception (thrown, or logged from a stream's channel),
 * no buffer may be kept, and what reaches the upstream must be well-formed HTTP/1.1, one request at a time,
 * in origin form, without Netty's internal x-http2-* headers.
 *
 * <p>The input is a program: each frame starts with an opcode byte (see {@link #frames}); header blocks are
 * HPACK-encoded from tables of interesting names and values or from the input's own bytes, so the fuzzer
 * spends its time on HTTP semantics rather than on HPACK. Corpus:
 * src/test/resources/io/sluice/fuzz/Http2FrameFuzzTestInputs/frames (written by {@link Http2Seeds}).
 */
class Http2FrameFuzzTest {
    static final String[] NAMES = {":method", ":scheme", ":path", ":authority", ":status", ":protocol",
        "content-length", "transfer-encoding", "connection", "te", "host", "upgrade", "keep-alive",
        "x-http2-scheme", "x-http2-stream-id", "expect", "cookie", "x-forwarded-for", "x-request-id",
        "content-type", "Upper-Case", "bad name", "", "trailer"};
    static final String[] VALUES = {"GET", "POST", "HEAD", "CONNECT", "OPTIONS", "http", "https", "/", "/local/x",
        "*", "http://h/abs", "h", "0", "5", "-1", "1,2", "chunked", "trailers", "close", "100-continue",
        "a\r\nb: c", "\u0000", " padded ", "x".repeat(300)};

    @FuzzTest(maxDuration = "60s")
    void frames(byte[] input) {
        try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
            c.send(preface());
            Reader in = new Reader(input);
            Http2HeadersEncoder hpack = new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE, true);
            while (in.more()) {
                byte[] frame = frame(in, hpack);
                if (frame != null) {
                    c.send(frame);
                }
            }
            for (UpstreamRequestParser.Request r : c.requests()) {
                if (r.method().equals("CONNECT") || r.method().equals("PRI")) {
                    throw new AssertionError("an h2 request the proxy must not forward: " + r.method() + " " + r.target());
                }
                if (!r.target().startsWith("/")) {
                    throw new AssertionError("an h2 request forwarded with the target " + r.target());
                }
                for (String[] h : r.headers()) {
                    if (h[0].regionMatches(true, 0, "x-http2-", 0, 8)) {
                        throw new AssertionError("Netty's internal header reached the upstream: " + h[0]);
                    }
                }
            }
        }
    }

    static byte[] preface() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBufUtil.getBytes(Http2CodecUtil.connectionPrefaceBuf()));
        writeFrame(out, 0x4, 0, 0, new byte[0]); // SETTINGS, defaults
        return out.toByteArray();
    }

    /** One frame from the input program; null when the input described none that can be encoded. */
    static byte[] frame(Reader in, Http2HeadersEncoder hpack) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int op = in.next() % 9;
        switch (op) {
            case 0 -> { // HEADERS [+ CONTINUATION]
                int stream = in.stream();
                int flags = in.next();
                byte[] block = headerBlock(in, hpack, stream, (flags & 16) != 0);
                if (block == null) {
                    return null;
                }
                int frameFlags = (flags & 1) != 0 ? 0x1 : 0; // END_STREAM
                boolean split = (flags & 2) != 0 && block.length > 1;
                boolean open = (flags & 8) != 0; // no END_HEADERS: a CONTINUATION should follow (it won't)
                byte[] payload = block;
                if ((flags & 4) != 0) { // PRIORITY fields
                    frameFlags |= 0x20;
                    payload = concat(new byte[] {0, 0, 0, (byte) in.next(), (byte) in.next()}, block);
                }
                if (split) {
                    int cut = payload.length / 2;
                    writeFrame(out, 0x1, frameFlags, stream, java.util.Arrays.copyOfRange(payload, 0, cut));
                    writeFrame(out, 0x9, open ? 0 : 0x4, stream, java.util.Arrays.copyOfRange(payload, cut, payload.length));
                } else {
                    writeFrame(out, 0x1, frameFlags | (open ? 0 : 0x4), stream, payload);
                }
            }
            case 1 -> { // DATA
                int stream = in.stream();
                int flags = in.next();
                byte[] data = in.bytes(in.next());
                int frameFlags = (flags & 1) != 0 ? 0x1 : 0;
                if ((flags & 2) != 0) { // PADDED
                    frameFlags |= 0x8;
                    int pad = flags >> 4;
                    data = concat(concat(new byte[] {(byte) pad}, data), new byte[pad]);
                }
                writeFrame(out, 0x0, frameFlags, stream, data);
            }
            case 2 -> writeFrame(out, 0x3, 0, in.stream(), int32(in.next())); // RST_STREAM
            case 3 -> { // SETTINGS
                int flags = in.next();
                ByteArrayOutputStream settings = new ByteArrayOutputStream();
                for (int n = flags % 4; n > 0; n--) {
                    settings.write(0);
                    settings.write(1 + in.next() % 8);
                    settings.writeBytes(in.bytes(4));
                }
                writeFrame(out, 0x4, (flags & 0x80) != 0 ? 0x1 : 0, 0, settings.toByteArray());
            }
            case 4 -> { // WINDOW_UPDATE
                int flags = in.next();
                writeFrame(out, 0x8, 0, (flags & 1) != 0 ? 0 : in.stream(), in.bytes(4));
            }
            case 5 -> writeFrame(out, 0x6, in.next() & 0x1, 0, in.bytes(8)); // PING
            case 6 -> writeFrame(out, 0x7, 0, 0, concat(int32(in.next()), int32(in.next()))); // GOAWAY
            case 7 -> writeFrame(out, 0x2, 0, in.stream(), concat(int32(in.next() & 0x1f), new byte[] {(byte) in.next()}));
            default -> { // any frame: type, flags, stream id, payload as given (no new header blocks)
                int type = in.next();
                if (type == 0x1 || type == 0x5) {
                    type = 0xfe; // an unknown type instead: header blocks come from case 0, within the pool's reach
                }
                writeFrame(out, type, in.next(), in.next(), in.bytes(in.next()));
            }
        }
        return out.toByteArray();
    }

    /** A header block: the usual pseudo-headers (unless {@code raw}) and up to 11 fields from the input. */
    private static byte[] headerBlock(Reader in, Http2HeadersEncoder hpack, int stream, boolean raw) {
        Http2Headers headers = new DefaultHttp2Headers(false);
        if (!raw) {
            headers.add(":method", VALUES[in.next() % 5]).add(":scheme", "http").add(":path", "/p")
                    .add(":authority", "h");
        }
        for (int n = in.next() % 12; n > 0; n--) {
            int name = in.next();
            CharSequence key = name < NAMES.length ? NAMES[name]
                    : name < 128 ? new AsciiString(in.bytes(in.next() % 16)) : NAMES[name % NAMES.length];
            int value = in.next();
            CharSequence val = value < VALUES.length ? VALUES[value]
                    : new AsciiString(in.bytes(in.next() % 32));
            headers.add(raw ? key : AsciiString.of(key).toLowerCase(), val);
        }
        ByteBuf buf = Unpooled.buffer();
        try {
            hpack.encodeHeaders(stream, headers, buf);
            return ByteBufUtil.getBytes(buf);
        } catch (Http2Exception | RuntimeException e) {
            return null; // HPACK cannot say it (an empty name): the fuzzer moves on
        } finally {
            buf.release();
        }
    }

    static void writeFrame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        int len = payload.length;
        out.write(len >>> 16);
        out.write(len >>> 8);
        out.write(len);
        out.write(type);
        out.write(flags);
        out.writeBytes(int32(stream));
        out.writeBytes(payload);
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Reads the input program; past its end every byte is 0, so each frame is complete. */
    static final class Reader {
        private final byte[] input;
        private int pos;

        Reader(byte[] input) {
            this.input = input;
        }

        boolean more() {
            return pos < input.length;
        }

        int next() {
            return pos < input.length ? input[pos++] & 0xff : 0;
        }

        /** A client stream id: 1, 3, ..., 15 (so that a few streams meet often). */
        int stream() {
            return 1 + 2 * (next() % 8);
        }

        byte[] bytes(int n) {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = (byte) next();
            }
            return out;
        }
    }

}
