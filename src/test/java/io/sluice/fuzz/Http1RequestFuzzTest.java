package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Fuzz target: any bytes a client sends on an HTTP/1.1 connection, through the real pipeline (preface
 * sniffing, StrictRequestDecoder, DownstreamHandler's checks, routing, forwarding) to embedded upstream
 * connections ({@link ProxyHarness}). Besides the harness's own checks (no exception escapes, no buffer
 * kept, everything the upstream receives parses strictly, nothing smuggled after a request), a first
 * request whose head breaks RFC 9112's rules must not reach the upstream at all, nor anything after it.
 *
 * <p>Corpus: src/test/resources/io/sluice/fuzz/Http1RequestFuzzTestInputs/request (replayed by every
 * build; crashes Jazzer finds land there too). See docs/security.md, "Fuzzing".
 */
class Http1RequestFuzzTest {
    /**
     * uri-host [":" port] of RFC 3986 (RFC 9110 §7.2): an IP-literal, or a name of letters, digits, '-', '.', '_'
     * (the proxy refuses the reg-name's sub-delims, '~' and '%': docs/security.md, "Paths, targets and Host").
     */
    private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]*]|[A-Za-z0-9._-]*)(:[0-9]*)?");

    @FuzzTest(maxDuration = "60s")
    void request(byte[] input) {
        String violation = firstHeadViolation(input);
        try (ProxyHarness.Connection c = ProxyHarness.get().connect()) {
            c.send(input);
            if (violation != null && c.bytesUpstream() > 0) {
                throw new AssertionError("a request whose head breaks the rules (" + violation
                        + ") reached the upstream:\n" + Escape.bytes(input, 0));
            }
        }
    }

    /**
     * What makes the first request's head unacceptable (RFC 9112 §2-§6, RFC 9110 §5), judged from the raw
     * bytes without the proxy's parser; null when it is acceptable or not complete.
     */
    static String firstHeadViolation(byte[] in) {
        int start = 0;
        while (start < in.length && (in[start] == '\r' || in[start] == '\n')) {
            start++;
        }
        int end = -1;
        for (int i = start; i + 1 < in.length; i++) {
            if (in[i] == '\n' && (in[i + 1] == '\n' || (in[i + 1] == '\r' && i + 2 < in.length && in[i + 2] == '\n'))) {
                end = i + 1;
                break;
            }
        }
        if (end < 0) {
            return null;
        }
        String head = new String(in, start, end - start, StandardCharsets.ISO_8859_1);
        for (int i = 0; i < head.length(); i++) {
            char c = head.charAt(i);
            if (c == 0) {
                return "NUL in the head";
            }
            // a bare CR in the request line may be taken as SP (RFC 9112 §2.2, as Netty does); in a field, never
            if (c == '\r' && (i + 1 == head.length() || head.charAt(i + 1) != '\n') && i > head.indexOf('\n')) {
                return "bare CR in the head";
            }
        }
        String[] lines = head.split("\r?\n", -1);
        String requestLine = lines[0];
        String[] parts = requestLine.trim().split("[ \t\r]+");
        if (parts.length != 3) {
            return null; // the proxy's own concern (400); not judged here
        }
        for (int i = 0; i < parts[1].length(); i++) {
            char c = parts[1].charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "control byte in the request target";
            }
            if (c == '#') {
                return "a fragment in the request target"; // RFC 9112 §3.2
            }
        }
        String version = parts[2];
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            return "version " + version;
        }
        int hosts = 0;
        int lengths = 0;
        int encodings = 0;
        String te = null;
        for (int l = 1; l < lines.length; l++) {
            String line = lines[l];
            if (line.isEmpty()) {
                break;
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                return "obs-fold";
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                return null; // a field line without a colon: left to the proxy for now
            }
            String name = line.substring(0, colon);
            if (name.isEmpty()) {
                return "empty field name";
            }
            for (int i = 0; i < name.length(); i++) {
                if (!UpstreamRequestParser.tchar((byte) name.charAt(i))) {
                    return "bad byte in the field name '" + name + "'";
                }
            }
            String value = line.substring(colon + 1).strip();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                    return "control byte in the value of " + name;
                }
            }
            switch (name.toLowerCase(Locale.ROOT)) {
                case "host" -> {
                    hosts++;
                    if (!HOST.matcher(value).matches()) {
                        return "Host '" + value + "'"; // RFC 9112 §3.2: 400 whatever the target's form
                    }
                }
                case "content-length" -> {
                    lengths++;
                    if (value.isEmpty() || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                        return "Content-Length '" + value + "'";
                    }
                }
                case "transfer-encoding" -> {
                    encodings++;
                    te = value.toLowerCase(Locale.ROOT);
                }
                default -> {
                }
            }
        }
        if (lengths > 0 && encodings > 0) {
            return "Content-Length and Transfer-Encoding";
        }
        if (lengths > 1) {
            return "more than one Content-Length";
        }
        if (te != null && !te.endsWith("chunked")) {
            return "Transfer-Encoding '" + te + "' does not end with chunked";
        }
        // absolute-form names the host itself (RFC 9112 §3.2.2): accepted without Host, as nginx does
        boolean absolute = parts[1].regionMatches(true, 0, "http://", 0, 7) || parts[1].regionMatches(true, 0, "https://", 0, 8);
        if (hosts > 1 || (hosts == 0 && version.equals("HTTP/1.1") && !absolute)) {
            return hosts + " Host fields";
        }
        return null;
    }
}
