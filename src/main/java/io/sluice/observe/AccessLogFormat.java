package io.sluice.observe;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.config.AccessLogConfig;
import io.sluice.exchange.Exchange;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Turns a finished exchange into one access log line: the Apache combined format followed by
 * {@code key=value} pairs, or one JSON object per line with the configured fields.
 *
 * <p>Called on the event loop that finished the request. Each thread reuses one StringBuilder and caches
 * the formatted current second, so a line costs its characters and one String.
 */
public final class AccessLogFormat {
    private static final DateTimeFormatter CLF_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ISO_SECOND =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    enum Field {
        TIME, REQUEST_ID, CLIENT_IP, METHOD, URI, PROTOCOL, STATUS, BYTES_IN, BYTES_OUT, DURATION_MS, LISTENER,
        ROUTE, UPSTREAM, ENDPOINT, ATTEMPTS, UPSTREAM_ERROR, UPSTREAM_CONNECT_MS, UPSTREAM_HEADER_MS, TRACE_ID, SPAN_ID, USER_AGENT,
        REFERER, HOST, CACHE_STATUS;

        final String key = name().toLowerCase(Locale.ROOT);
    }

    /** The facts of one line besides the exchange. */
    public record Line(String listener, long bytesIn, long bytesOut, long durationNanos, long startMillis) {
    }

    private final boolean json;
    private final Field[] fields;
    private final FastThreadLocal<State> state = new FastThreadLocal<>() {
        @Override
        protected State initialValue() {
            return new State();
        }
    };

    public AccessLogFormat(AccessLogConfig.Format format, List<String> fields) {
        this.json = format == AccessLogConfig.Format.JSON;
        this.fields = fields.stream().map(f -> Field.valueOf(f.toUpperCase(Locale.ROOT))).toArray(Field[]::new);
    }

    /** Per thread: the reused builder and the last second formatted. */
    private static final class State {
        final StringBuilder sb = new StringBuilder(512);
        long clfSecond = Long.MIN_VALUE;
        String clf;
        long isoSecond = Long.MIN_VALUE;
        String iso;
        private final StringBuilder time = new StringBuilder(32);

        StringBuilder timeScratch() {
            return time;
        }
    }

    /** The line, without its newline. */
    public String format(Exchange ex, Line line) {
        State st = state.get();
        StringBuilder sb = st.sb;
        sb.setLength(0);
        if (json) {
            sb.append('{');
            for (int i = 0; i < fields.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append('"').append(fields[i].key).append("\":");
                appendJson(sb, st, fields[i], ex, line);
            }
            sb.append('}');
        } else {
            combined(sb, st, ex, line);
            for (Field f : fields) {
                sb.append(' ').append(f.key).append('=');
                appendPlain(sb, st, f, ex, line);
            }
        }
        String s = sb.toString();
        if (sb.capacity() > 16 * 1024) {
            st.sb.trimToSize(); // one huge URI must not pin memory on this thread
        }
        return s;
    }

    private static void combined(StringBuilder sb, State st, Exchange ex, Line line) {
        HttpHeaders h = ex.request().headers();
        sb.append(ex.clientIp()).append(" - - [").append(clfTime(st, line.startMillis)).append("] \"");
        escapeQuoted(sb, ex.method().name());
        sb.append(' ');
        escapeQuoted(sb, ex.uri());
        sb.append(' ').append(ex.clientVersion().text()).append("\" ").append(status(ex)).append(' ')
                .append(line.bytesOut).append(" \"");
        escapeQuoted(sb, orDash(h.get(HttpHeaderNames.REFERER)));
        sb.append("\" \"");
        escapeQuoted(sb, orDash(h.get(HttpHeaderNames.USER_AGENT)));
        sb.append('"');
    }

    private static int status(Exchange ex) {
        return ex.status() == 0 ? 499 : ex.status(); // nginx's "client closed the connection before an answer"
    }

    private static String orDash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    /** The numeric fields, the same in both formats but for how a missing timing reads. */
    private static boolean appendNumber(StringBuilder sb, Field f, Exchange ex, Line line, String missing) {
        switch (f) {
            case STATUS -> sb.append(status(ex));
            case BYTES_IN -> sb.append(line.bytesIn);
            case BYTES_OUT -> sb.append(line.bytesOut);
            case ATTEMPTS -> sb.append(ex.attempts());
            case DURATION_MS -> millis(sb, line.durationNanos);
            case UPSTREAM_CONNECT_MS -> millisOr(sb, ex.upstreamConnectNanos(), missing);
            case UPSTREAM_HEADER_MS -> millisOr(sb, ex.upstreamHeaderNanos(), missing);
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void appendPlain(StringBuilder sb, State st, Field f, Exchange ex, Line line) {
        if (appendNumber(sb, f, ex, line, "-")) {
            return;
        }
        CharSequence v = text(st, f, ex, line);
        if (v == null || v.length() == 0) {
            sb.append('-');
        } else {
            boolean quote = needsQuotes(v);
            if (quote) {
                sb.append('"');
            }
            escapeQuoted(sb, v);
            if (quote) {
                sb.append('"');
            }
        }
    }

    private static void appendJson(StringBuilder sb, State st, Field f, Exchange ex, Line line) {
        if (appendNumber(sb, f, ex, line, "null")) {
            return;
        }
        CharSequence v = text(st, f, ex, line);
        if (v == null) {
            sb.append("null");
        } else {
            sb.append('"');
            escapeJson(sb, v);
            sb.append('"');
        }
    }

    private static CharSequence text(State st, Field f, Exchange ex, Line line) {
        HttpHeaders h = ex.request().headers();
        return switch (f) {
            case TIME -> isoTime(st, line.startMillis);
            case REQUEST_ID -> ex.requestId();
            case CLIENT_IP -> ex.clientIp();
            case METHOD -> ex.method().name();
            case URI -> ex.uri();
            case PROTOCOL -> ex.clientVersion().text();
            case LISTENER -> line.listener;
            case ROUTE -> ex.route();
            case UPSTREAM -> ex.upstream();
            case ENDPOINT -> ex.endpoint();
            case UPSTREAM_ERROR -> ex.upstreamError();
            case TRACE_ID -> ex.traceId();
            case SPAN_ID -> ex.spanId();
            case USER_AGENT -> h.get(HttpHeaderNames.USER_AGENT);
            case REFERER -> h.get(HttpHeaderNames.REFERER);
            case HOST -> h.get(HttpHeaderNames.HOST);
            case CACHE_STATUS -> ex.cacheStatus();
            default -> throw new IllegalStateException(f.key);
        };
    }

    /** Milliseconds with three decimals, without formatting machinery. */
    static void millis(StringBuilder sb, long nanos) {
        long micros = Math.max(0, nanos) / 1000;
        sb.append(micros / 1000).append('.');
        long frac = micros % 1000;
        if (frac < 100) {
            sb.append('0');
        }
        if (frac < 10) {
            sb.append('0');
        }
        sb.append(frac);
    }

    private static void millisOr(StringBuilder sb, long nanos, String missing) {
        if (nanos < 0) {
            sb.append(missing);
        } else {
            millis(sb, nanos);
        }
    }

    private static String clfTime(State st, long millis) {
        long second = Math.floorDiv(millis, 1000);
        if (second != st.clfSecond) {
            st.clfSecond = second;
            st.clf = CLF_TIME.format(Instant.ofEpochSecond(second));
        }
        return st.clf;
    }

    private static CharSequence isoTime(State st, long millis) {
        long second = Math.floorDiv(millis, 1000);
        if (second != st.isoSecond) {
            st.isoSecond = second;
            st.iso = ISO_SECOND.format(Instant.ofEpochSecond(second));
        }
        int ms = (int) Math.floorMod(millis, 1000);
        // The caller appends this right away: build it in a second reused builder.
        StringBuilder t = st.timeScratch();
        t.setLength(0);
        t.append(st.iso).append('.').append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10))
                .append((char) ('0' + ms % 10)).append('Z');
        return t;
    }

    private static boolean needsQuotes(CharSequence v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == ' ' || c == '"' || c == '=') {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code v} as {@link #escapeQuoted} writes it: safe to put in a log line, which a CR, LF or ESC in a
     * request's text could otherwise split or forge.
     */
    public static String printable(CharSequence v) {
        StringBuilder sb = new StringBuilder(v.length() + 8);
        escapeQuoted(sb, v);
        return sb.toString();
    }

    /** As Apache does: {@code "} and {@code \} escaped, control and non-ASCII bytes as \xHH. */
    static void escapeQuoted(StringBuilder sb, CharSequence v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c >= 0x7f) {
                if (c > 0xff) {
                    sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15])
                            .append(HEX[c & 15]);
                } else {
                    sb.append("\\x").append(HEX[c >> 4]).append(HEX[c & 15]);
                }
            } else {
                sb.append(c);
            }
        }
    }

    /**
     * A JSON string's content, in ASCII only, so a line is valid UTF-8 whatever the request held. Request
     * heads arrive as bytes, one char per byte (0x00-0xFF): a run of such chars that is valid UTF-8 is
     * decoded and written as the characters it encodes (é as backslash-u-00e9, a surrogate pair beyond the
     * BMP); a byte that is not part of valid UTF-8 is written as the Latin-1 character of the same value
     * (backslash-u-00XX). Chars above 0xFF (names from the configuration) are written escaped as they are.
     * Control characters, {@code "} and {@code \} are escaped as JSON requires.
     */
    static void escapeJson(StringBuilder sb, CharSequence v) {
        int n = v.length();
        for (int i = 0; i < n; i++) {
            char c = v.charAt(i);
            if (c >= 0x80 && c <= 0xFF) {
                int consumed = utf8Sequence(sb, v, i);
                if (consumed > 0) {
                    i += consumed - 1;
                } else {
                    unicodeEscape(sb, c); // not valid UTF-8: the byte as Latin-1
                }
                continue;
            }
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        unicodeEscape(sb, c);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }

    /**
     * If the byte-chars at {@code i} start a valid UTF-8 sequence (RFC 3629: shortest form, no surrogates,
     * at most U+10FFFF), writes its code point escaped and returns its length; else returns 0.
     */
    private static int utf8Sequence(StringBuilder sb, CharSequence v, int i) {
        int b0 = v.charAt(i);
        int len;
        int cp;
        int min;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
            cp = b0 & 0x1F;
            min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            cp = b0 & 0x0F;
            min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            cp = b0 & 0x07;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + len > v.length()) {
            return 0;
        }
        for (int k = 1; k < len; k++) {
            int b = v.charAt(i + k);
            if (b < 0x80 || b > 0xBF) {
                return 0;
            }
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        if (cp >= 0x10000) {
            unicodeEscape(sb, Character.highSurrogate(cp));
            unicodeEscape(sb, Character.lowSurrogate(cp));
        } else {
            unicodeEscape(sb, (char) cp);
        }
        return len;
    }

    private static void unicodeEscape(StringBuilder sb, char c) {
        sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15])
                .append(HEX[c & 15]);
    }
}
