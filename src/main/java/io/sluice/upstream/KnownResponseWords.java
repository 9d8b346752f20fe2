package io.sluice.upstream;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.sluice.exchange.FieldNameTable;

/**
 * The words of an upstream's response head that nearly every response repeats (the version, the status code
 * and its usual reason phrase, the common field names), handed to the decoder as shared constants instead of
 * a new copy per response. Netty's response decoder copies each of them (its request decoder knows five field
 * names, its response decoder none), and those copies were a sixth of what an event loop allocated per
 * proxied request (docs/benchmarks.md, "Morning of 2026-12-06"). Hand-written for that reason.
 *
 * <p>A word is shared only when its bytes are the constant's exactly, case included, so what is forwarded is
 * byte for byte what came ({@link FieldNameTable} for the names). Anything else gets Netty's copy as before.
 */
final class KnownResponseWords {
    /** Field names as servers write them (each also in lower case, as h2-minded servers write them). */
    private static final FieldNameTable FIELD_NAMES = new FieldNameTable(
            "Server", "Date", "Content-Type", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding",
            "Cache-Control", "Last-Modified", "ETag", "Accept-Ranges", "Vary", "Expires", "Set-Cookie", "Location",
            "Content-Encoding", "Age", "Pragma", "X-Content-Type-Options", "X-Frame-Options",
            "Strict-Transport-Security", "Access-Control-Allow-Origin", "X-Request-ID", "Via");
    private static final String HTTP_1_1 = "HTTP/1.1";
    private static final String HTTP_1_0 = "HTTP/1.0";
    /** "100" to "599", each made the first time it is seen (a race makes two equal strings: harmless). */
    private static final String[] CODES = new String[600];

    private KnownResponseWords() {
    }

    /** The shared constant for a field name of these bytes, or null. */
    static AsciiString fieldName(byte[] line, int start, int length) {
        return FIELD_NAMES.find(line, start, length);
    }

    /** "HTTP/1.1" or "HTTP/1.0" when the bytes are one of them, else null. */
    static String version(byte[] line, int start, int length) {
        if (length != 8 || !same(line, start, HTTP_1_1, 7)) {
            return null;
        }
        byte minor = line[start + 7];
        return minor == '1' ? HTTP_1_1 : minor == '0' ? HTTP_1_0 : null;
    }

    /** The status code these bytes spell (three digits, 100 to 599), or -1. */
    static int statusCode(byte[] line, int start, int length) {
        if (length != 3) {
            return -1;
        }
        int code = 0;
        for (int i = start; i < start + 3; i++) {
            byte b = line[i];
            if (b < '0' || b > '9') {
                return -1;
            }
            code = code * 10 + (b - '0');
        }
        return code >= 100 && code < 600 ? code : -1;
    }

    /** The text of a code from {@link #statusCode}. */
    static String codeText(int code) {
        String text = CODES[code];
        if (text == null) {
            text = Integer.toString(code);
            CODES[code] = text;
        }
        return text;
    }

    /** The code's usual reason phrase when the bytes are exactly it (Netty's own constant string), else null. */
    static String reasonPhrase(int code, byte[] line, int start, int length) {
        if (code < 0) {
            return null;
        }
        String usual = HttpResponseStatus.valueOf(code).reasonPhrase();
        return usual.length() == length && same(line, start, usual, length) ? usual : null;
    }

    private static boolean same(byte[] line, int start, String ascii, int length) {
        for (int i = 0; i < length; i++) {
            if (line[start + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
