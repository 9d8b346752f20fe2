package io.sluice.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the seed corpus of {@link Http2FrameFuzzTest} (its inputs are programs, not frames, so they are
 * generated rather than captured). Run from the project root:
 * {@code java -cp target/test-classes:target/classes io.sluice.fuzz.Http2Seeds}.
 */
final class Http2Seeds {
    // opcodes and table indexes of Http2FrameFuzzTest
    static final int HEADERS = 0, DATA = 1, RST = 2, SETTINGS = 3, WINDOW = 4, PING = 5, GOAWAY = 6, PRIORITY = 7, RAW = 8;
    static final int END_STREAM = 1, SPLIT = 2, PRIO = 4, OPEN = 8, AS_IS = 16;
    static final int GET = 0, POST = 1, HEAD = 2, CONNECT = 3;

    private Http2Seeds() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of("src/test/resources/io/sluice/fuzz/Http2FrameFuzzTestInputs/frames");
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> seed : seeds().entrySet()) {
            Files.write(dir.resolve(seed.getKey()), seed.getValue());
        }
    }

    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("get", p(HEADERS, 0, END_STREAM, GET, 0));
        s.put("head", p(HEADERS, 0, END_STREAM, HEAD, 0));
        s.put("post-content-length", cat(p(HEADERS, 0, 0, POST, 1, 6, 13), data(0, END_STREAM, "hello")));
        s.put("post-two-data-frames", cat(p(HEADERS, 0, 0, POST, 0), data(0, 0, "abc"), data(0, END_STREAM, "def")));
        s.put("two-streams-interleaved", cat(p(HEADERS, 0, 0, POST, 0), p(HEADERS, 1, END_STREAM, GET, 0),
                data(0, END_STREAM, "body")));
        s.put("rst-after-headers", cat(p(HEADERS, 0, 0, POST, 0), p(RST, 0, 8)));
        s.put("no-method", p(HEADERS, 0, END_STREAM | AS_IS, 2, 1, 5, 2, 7));
        s.put("no-scheme", p(HEADERS, 0, END_STREAM | AS_IS, 3, 0, 0, 2, 7, 3, 11));
        s.put("absolute-path", p(HEADERS, 0, END_STREAM | AS_IS, 4, 0, 0, 1, 5, 2, 10, 3, 11));
        s.put("connection-header", p(HEADERS, 0, END_STREAM, GET, 1, 8, 18));
        s.put("te-trailers", p(HEADERS, 0, END_STREAM, GET, 1, 9, 17));
        s.put("te-chunked", p(HEADERS, 0, END_STREAM, GET, 1, 9, 16));
        s.put("transfer-encoding", cat(p(HEADERS, 0, 0, POST, 1, 7, 16), data(0, END_STREAM, "abc")));
        s.put("content-length-mismatch", cat(p(HEADERS, 0, 0, POST, 1, 6, 13), data(0, END_STREAM, "abc")));
        s.put("content-length-bad", cat(p(HEADERS, 0, 0, POST, 1, 6, 15), data(0, END_STREAM, "abc")));
        s.put("continuation", p(HEADERS, 0, END_STREAM | SPLIT, GET, 3, 16, 23, 17, 12, 19, 11));
        s.put("headers-never-end", cat(p(HEADERS, 0, OPEN, GET, 0), data(0, END_STREAM, "x")));
        s.put("settings-ping-window", cat(p(SETTINGS, 2, 3, 0, 0, 0, 10, 4, 0, 0, 0, 1),
                p(PING, 0, 1, 2, 3, 4, 5, 6, 7, 8), p(WINDOW, 1, 0, 0, 1, 0), p(WINDOW, 0, 0, 0, 0, 1, 0),
                p(HEADERS, 0, END_STREAM, GET, 0)));
        s.put("connect", p(HEADERS, 0, END_STREAM, CONNECT, 0));
        s.put("uppercase-name", p(HEADERS, 0, END_STREAM | AS_IS, 5, 0, 0, 1, 5, 2, 7, 3, 11, 20, 11));
        s.put("trailers", cat(p(HEADERS, 0, 0, POST, 0), data(0, 0, "abc"), p(HEADERS, 0, END_STREAM | AS_IS, 1, 18, 11)));
        s.put("local-route", p(HEADERS, 0, END_STREAM | AS_IS, 4, 0, 0, 1, 5, 2, 8, 3, 11));
        s.put("padded-data", cat(p(HEADERS, 0, 0, POST, 0), p(DATA, 0, END_STREAM | 2 | 0x30, 3, 'a', 'b', 'c')));
        s.put("goaway", cat(p(HEADERS, 0, 0, POST, 0), p(GOAWAY, 0, 0), data(0, END_STREAM, "late")));
        s.put("unknown-frame", cat(p(RAW, 0xfe, 0, 1, 3, 1, 2, 3), p(HEADERS, 0, END_STREAM, GET, 0)));
        s.put("client-x-http2-headers", p(HEADERS, 0, END_STREAM, GET, 2, 13, 6, 14, 12));
        s.put("priority", cat(p(PRIORITY, 1, 0, 16), p(HEADERS, 0, END_STREAM | PRIO, GET, 0, 0, 42)));
        s.put("expect-continue", cat(p(HEADERS, 0, 0, POST, 2, 15, 19, 6, 13), data(0, END_STREAM, "hello")));
        ByteArrayOutputStream many = new ByteArrayOutputStream();
        for (int stream = 0; stream < 8; stream++) {
            many.writeBytes(p(HEADERS, stream, 0, POST, 0));
        }
        for (int stream = 7; stream >= 0; stream--) {
            many.writeBytes(data(stream, END_STREAM, "s" + stream));
        }
        s.put("eight-streams", many.toByteArray());
        s.put("data-on-idle-stream", data(3, END_STREAM, "nobody"));
        s.put("rst-stream-zero", cat(p(RAW, 3, 0, 0, 4, 0, 0, 0, 8), p(HEADERS, 0, END_STREAM, GET, 0)));
        return s;
    }

    private static byte[] p(int... bytes) {
        byte[] out = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = (byte) bytes[i];
        }
        return out;
    }

    private static byte[] data(int stream, int flags, String text) {
        byte[] d = text.getBytes(StandardCharsets.ISO_8859_1);
        return cat(p(DATA, stream, flags, d.length), d);
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
