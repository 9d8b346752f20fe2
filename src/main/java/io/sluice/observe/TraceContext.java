package io.sluice.observe;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.sluice.exchange.Exchange;
import java.util.concurrent.ThreadLocalRandom;

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) on a forwarded request. The proxy is one span:
 * a valid incoming {@code traceparent} keeps its trace id and flags, and the upstream gets the proxy's new
 * span id as its parent; {@code tracestate} goes on unchanged. A request without a valid
 * {@code traceparent} starts a trace (new trace id, sampled) and any {@code tracestate} is dropped, as
 * the specification says for a restarted trace. Any thread; stateless.
 */
public final class TraceContext {
    public static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");
    public static final AsciiString TRACESTATE = AsciiString.cached("tracestate");
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private TraceContext() {
    }

    /** Rewrites the request's trace headers for the upstream and records the ids on the exchange. */
    public static void apply(HttpHeaders headers, Exchange exchange) {
        apply(headers, exchange, Long.MAX_VALUE);
    }

    /**
     * The bound {@link #apply(HttpHeaders, Exchange, long)} samples new traces with: the one of
     * OpenTelemetry's {@code TraceIdRatioBased} sampler, so the flag sent upstream and the SDK's decision
     * agree.
     */
    public static long sampleBound(double ratio) {
        if (ratio <= 0) {
            return Long.MIN_VALUE;
        }
        if (ratio >= 1) {
            return Long.MAX_VALUE;
        }
        return (long) (ratio * Long.MAX_VALUE);
    }

    /**
     * As {@link #apply(HttpHeaders, Exchange)}; a trace the proxy starts is sampled (flags {@code 01}) when
     * the absolute value of its trace id's last 16 hex digits, as a long, is below {@code sampleBound}
     * (see {@link #sampleBound}); a client's trace keeps its flags.
     */
    public static void apply(HttpHeaders headers, Exchange exchange, long sampleBound) {
        String incoming = headers.get(TRACEPARENT);
        if (incoming != null && headers.getAll(TRACEPARENT).size() > 1) {
            incoming = null; // more than one: invalid
        }
        byte[] out = new byte[55];
        ThreadLocalRandom random = ThreadLocalRandom.current();
        boolean keep = incoming != null && isValid(incoming);
        out[0] = '0';
        out[1] = '0';
        out[2] = '-';
        if (keep) {
            for (int i = 3; i < 35; i++) {
                out[i] = (byte) incoming.charAt(i);
            }
        } else {
            randomHex(out, 3, 32, random);
            headers.remove(TRACESTATE);
        }
        out[35] = '-';
        randomHex(out, 36, 16, random);
        out[52] = '-';
        if (keep) {
            out[53] = (byte) incoming.charAt(53);
            out[54] = (byte) incoming.charAt(54);
        } else {
            out[53] = '0';
            out[54] = sampleBound == Long.MAX_VALUE || Math.abs(parseHex(out, 19)) < sampleBound ? (byte) '1' : (byte) '0';
        }
        AsciiString value = new AsciiString(out, false);
        headers.set(TRACEPARENT, value);
        exchange.trace(value, keep ? incoming : null, (hexValue(out[54]) & 1) != 0);
    }

    private static long parseHex(byte[] out, int at) {
        long v = 0;
        for (int i = at; i < at + 16; i++) {
            v = v << 4 | hexValue(out[i]);
        }
        return v;
    }

    private static int hexValue(byte c) {
        return c <= '9' ? c - '0' : c - 'a' + 10;
    }

    /**
     * {@code version-traceid-spanid-flags}: lowercase hex, version not ff, ids not all zero. A future
     * version may be longer (fields after a '-'); only its first four fields are read.
     */
    public static boolean isValid(CharSequence v) {
        if (v.length() < 55 || v.charAt(2) != '-' || v.charAt(35) != '-' || v.charAt(52) != '-') {
            return false;
        }
        if (!hex(v, 0, 2) || !hex(v, 3, 35) || !hex(v, 36, 52) || !hex(v, 53, 55)) {
            return false;
        }
        boolean version00 = v.charAt(0) == '0' && v.charAt(1) == '0';
        if (v.charAt(0) == 'f' && v.charAt(1) == 'f') {
            return false;
        }
        if (version00 ? v.length() != 55 : v.length() > 55 && v.charAt(55) != '-') {
            return false;
        }
        return !zeros(v, 3, 35) && !zeros(v, 36, 52);
    }

    private static boolean hex(CharSequence v, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = v.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(CharSequence v, int from, int to) {
        for (int i = from; i < to; i++) {
            if (v.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    private static void randomHex(byte[] out, int at, int digits, ThreadLocalRandom random) {
        do {
            for (int i = 0; i < digits; i += 16) {
                long bits = random.nextLong();
                for (int j = 0; j < 16; j++) {
                    out[at + i + j] = HEX[(int) (bits >>> (60 - 4 * j)) & 15];
                }
            }
        } while (allZero(out, at, digits));
    }

    private static boolean allZero(byte[] out, int at, int digits) {
        for (int i = at; i < at + digits; i++) {
            if (out[i] != '0') {
                return false;
            }
        }
        return true;
    }
}
