package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzz target: a chunked request body (RFC 9112 §7.1), any bytes after a fixed valid head, fed to the real
 * pipeline in pieces of 1 to 16 bytes (the first input byte chooses) so that every state of the chunk
 * decoder meets the end of a read. Besides {@link ProxyHarness}'s checks: a body the proxy passed on whole
 * must be one that RFC 9112 accepts, and the upstream must get exactly its data.
 *
 * <p>Corpus: src/test/resources/io/sluice/fuzz/ChunkedBodyFuzzTestInputs/chunkedBody.
 */
class ChunkedBodyFuzzTest {
    static final byte[] HEAD = "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);

    @FuzzTest(maxDuration = "60s")
    void chunkedBody(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int piece = 1 + (input[0] & 0x0f);
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        Decoded expected = decode(body);
        try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
            c.send(HEAD);
            for (int i = 0; i < body.length; i += piece) {
                c.send(Arrays.copyOfRange(body, i, Math.min(body.length, i + piece)));
            }
            if (c.requestsUpstream() > 0) {
                UpstreamRequestParser.Request forwarded = c.requests().get(0);
                if (expected.violation != null) {
                    throw new AssertionError("the proxy passed on a chunked body that RFC 9112 rejects ("
                            + expected.violation + "):\n" + Escape.bytes(body, 0));
                }
                if (expected.data == null) {
                    throw new AssertionError("the proxy passed on a whole body from an incomplete one:\n"
                            + Escape.bytes(body, 0));
                }
                if (!Arrays.equals(expected.data, forwarded.body())) {
                    throw new AssertionError("the upstream got other data than the client sent:\n"
                            + Escape.bytes(forwarded.body(), 0) + "\n--- expected:\n" + Escape.bytes(expected.data, 0));
                }
            }
        }
    }

    /** A body decoded by the letter of RFC 9112: data (null while incomplete) or a violation. */
    record Decoded(byte[] data, String violation) {
    }

    /**
     * chunked-body = *chunk last-chunk trailer-section CRLF; chunk = chunk-size [ chunk-ext ] CRLF chunk-data
     * CRLF (see {@link #extensions} for chunk-ext). A bare LF may end a line (§2.2); a bare CR may not.
     */
    static Decoded decode(byte[] b) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int pos = 0;
        while (true) {
            int eol = lineEnd(b, pos);
            if (eol == -2) {
                return new Decoded(null, "bare CR");
            }
            if (eol < 0) {
                return new Decoded(null, null);
            }
            int i = pos;
            long size = 0;
            int digits = 0;
            int significant = 0; // 1*HEXDIG: leading zeros are allowed, however many; the value is what may overflow
            while (i < eol && Character.digit(b[i], 16) >= 0) {
                size = size * 16 + Character.digit(b[i], 16);
                digits++;
                if (size != 0 && ++significant > 15) {
                    return new Decoded(null, "chunk size too large");
                }
                i++;
            }
            if (digits == 0) {
                return new Decoded(null, "no chunk size");
            }
            String ext = extensions(b, i, eol);
            if (ext != null) {
                return new Decoded(null, ext);
            }
            pos = next(b, eol);
            if (size == 0) {
                int fields = 0;
                while (true) { // trailer-section
                    int end = lineEnd(b, pos);
                    if (end == -2) {
                        int lf = indexOf(b, pos, (byte) '\n');
                        if (lf < 0) {
                            return new Decoded(null, null);
                        }
                        if (!dropped(b, pos, lf)) {
                            return new Decoded(null, "bare CR in the trailers");
                        }
                        pos = lf + 1; // a field the proxy drops whole (invalid element: RFC 9112 §2.2)
                        continue;
                    }
                    if (end < 0) {
                        return new Decoded(null, null);
                    }
                    if (end == pos) {
                        return new Decoded(data.toByteArray(), null);
                    }
                    if ((b[pos] == ' ' || b[pos] == '\t') && fields > 0) {
                        pos = next(b, end); // obs-fold: a recipient may replace it with SP (RFC 9112 §5.2)
                        continue;
                    }
                    fields++;
                    if (dropped(b, pos, end)) {
                        pos = next(b, end); // never forwarded, whatever its value (found by fuzzing: 0x0F in one)
                        continue;
                    }
                    String field = field(b, pos, end);
                    if (field != null) {
                        return new Decoded(null, field);
                    }
                    pos = next(b, end);
                }
            }
            if (b.length - pos < size) {
                return new Decoded(null, null);
            }
            data.write(b, pos, (int) size);
            pos += (int) size;
            if (pos >= b.length || (b[pos] == '\r' && pos + 1 >= b.length)) {
                return new Decoded(null, null);
            }
            if (b[pos] == '\n') {
                pos++;
            } else if (b[pos] == '\r' && b[pos + 1] == '\n') {
                pos += 2;
            } else {
                return new Decoded(null, "chunk data not followed by a line end");
            }
        }
    }

    /** The position of the LF or CRLF that ends the line from {@code from}; -1 none yet; -2 a bare CR. */
    private static int lineEnd(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n') {
                return i;
            }
            if (b[i] == '\r') {
                if (i + 1 == b.length) {
                    return -1;
                }
                return b[i + 1] == '\n' ? i : -2;
            }
        }
        return -1;
    }

    private static int next(byte[] b, int eol) {
        return b[eol] == '\r' ? eol + 2 : eol + 1;
    }

    /**
     * Null when {@code b[i, to)} may follow a chunk size: nothing, or {@code ;} and extensions. Their grammar
     * (name, token or quoted-string) is not held to: a recipient ignores extensions it does not know (RFC
     * 9112 §7.1.1), nginx and Netty skip them to the line end, and the proxy passes none on. Control bytes in
     * them are refused.
     */
    private static String extensions(byte[] b, int i, int to) {
        i = bws(b, i, to);
        if (i == to) {
            return null;
        }
        if (b[i] != ';') {
            return "bad byte after the chunk size: " + (b[i] & 0xff);
        }
        for (; i < to; i++) {
            int c = b[i] & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return "control byte in a chunk extension";
            }
        }
        return null;
    }

    /** A trailer field the decoder drops whatever its value: the framing ones (RFC 9110 §6.5.1). */
    private static boolean dropped(byte[] b, int from, int to) {
        String line = new String(b, from, to - from, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
        return line.startsWith("content-length:") || line.startsWith("transfer-encoding:") || line.startsWith("trailer:");
    }

    private static int indexOf(byte[] b, int from, byte x) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }

    private static int bws(byte[] b, int i, int to) {
        while (i < to && (b[i] == ' ' || b[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static String field(byte[] b, int from, int to) {
        int colon = -1;
        for (int i = from; i < to; i++) {
            if (b[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon <= from) {
            return "trailer line without a name or colon";
        }
        for (int i = from; i < colon; i++) {
            if (!UpstreamRequestParser.tchar(b[i])) {
                return "bad byte in a trailer name";
            }
        }
        for (int i = colon + 1; i < to; i++) {
            int c = b[i] & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return "control byte in a trailer value";
            }
        }
        if (b[from] == ' ' || b[from] == '\t') {
            return "obs-fold in the trailers";
        }
        return null;
    }
}
