package io.sluice.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A strict HTTP/1.1 request parser (RFC 9112) for the bytes that reach an upstream: what a careful origin
 * server would accept, and nothing more. Whatever the client sent, a proxy must only ever pass on requests
 * that parse here, one complete request per connection at a time, with exactly one way to frame the body.
 */
final class UpstreamRequestParser {
    /** Larger than any head the proxy accepts (server.max_request_head is at most 1 MiB). */
    private static final int MAX_HEAD = 2 * 1024 * 1024;

    private UpstreamRequestParser() {
    }

    record Request(String method, String target, List<String[]> headers, byte[] body, boolean chunked) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }
    }

    /** The outcome of parsing from an offset: a complete request, more bytes needed, or a violation. */
    record Result(Request request, int end, String violation) {
        boolean complete() {
            return request != null;
        }

        boolean malformed() {
            return violation != null;
        }
    }

    private static final Result INCOMPLETE = new Result(null, -1, null);

    private static Result bad(String why) {
        return new Result(null, -1, why);
    }

    static Result parse(byte[] b, int from, int to) {
        int lineEnd = lineEnd(b, from, to);
        if (lineEnd < -1) {
            return bad("bare CR or LF in the request line");
        }
        if (lineEnd < 0) {
            return to - from > MAX_HEAD ? bad("request line never ends") : INCOMPLETE;
        }
        // request-line = method SP request-target SP HTTP-version CRLF
        int sp1 = indexOf(b, from, lineEnd, (byte) ' ');
        int sp2 = sp1 < 0 ? -1 : indexOf(b, sp1 + 1, lineEnd, (byte) ' ');
        if (sp1 <= from || sp2 <= sp1 + 1) {
            return bad("bad request line: " + text(b, from, lineEnd));
        }
        for (int i = from; i < sp1; i++) {
            if (!tchar(b[i])) {
                return bad("bad method byte " + (b[i] & 0xff));
            }
        }
        for (int i = sp1 + 1; i < sp2; i++) {
            int c = b[i] & 0xff;
            if (c <= 0x20 || c == 0x7f) {
                return bad("control or space in the request target: " + c);
            }
        }
        if (!"HTTP/1.1".equals(text(b, sp2 + 1, lineEnd))) {
            return bad("version is not HTTP/1.1: " + text(b, sp2 + 1, lineEnd));
        }
        String method = text(b, from, sp1);
        String target = new String(b, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.ISO_8859_1);
        List<String[]> headers = new ArrayList<>();
        int pos = lineEnd + 2;
        Object fields = fields(b, pos, to, headers);
        if (fields instanceof Result r) {
            return r;
        }
        pos = (Integer) fields;

        int hosts = 0;
        int lengths = 0;
        int encodings = 0;
        String cl = null;
        String te = null;
        for (String[] h : headers) {
            String name = h[0].toLowerCase(Locale.ROOT);
            switch (name) {
                case "host" -> {
                    hosts++;
                    if (h[1].chars().anyMatch(ch -> ch == '@' || ch == '/' || ch == ' ' || ch == '\t')) {
                        return bad("Host is not host[:port]: " + h[1]); // RFC 9110 §7.2 (userinfo, path, spaces)
                    }
                }
                case "content-length" -> {
                    lengths++;
                    cl = h[1];
                }
                case "transfer-encoding" -> {
                    encodings++;
                    te = h[1];
                }
                default -> {
                }
            }
        }
        if (hosts != 1) {
            return bad(hosts + " Host fields");
        }
        if (lengths > 0 && encodings > 0) {
            return bad("both Content-Length and Transfer-Encoding");
        }
        if (lengths > 1 || encodings > 1) {
            return bad("repeated framing field");
        }
        if (te != null) {
            if (!"chunked".equalsIgnoreCase(te)) {
                return bad("Transfer-Encoding is not 'chunked': " + te);
            }
            return chunked(b, pos, to, method, target, headers);
        }
        long length = 0;
        if (cl != null) {
            // one decimal number in its one form: no sign, no leading zero, within a long
            if (cl.isEmpty() || cl.length() > 19 || !cl.chars().allMatch(c -> c >= '0' && c <= '9')
                    || (cl.length() > 1 && cl.charAt(0) == '0')) {
                return bad("bad Content-Length: " + cl);
            }
            try {
                length = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                return bad("Content-Length past a long: " + cl);
            }
        }
        if (to - pos < length) {
            return INCOMPLETE;
        }
        byte[] body = java.util.Arrays.copyOfRange(b, pos, pos + (int) length);
        return new Result(new Request(method, target, headers, body, false), pos + (int) length, null);
    }

    /** Field lines up to and including the empty line: the offset after it, or a Result (incomplete or bad). */
    private static Object fields(byte[] b, int pos, int to, List<String[]> out) {
        int start = pos;
        while (true) {
            int end = lineEnd(b, pos, to);
            if (end < -1) {
                return bad("bare CR or LF in a field line");
            }
            if (end < 0) {
                return to - start > MAX_HEAD ? bad("head never ends") : INCOMPLETE;
            }
            if (end == pos) {
                return end + 2;
            }
            int colon = indexOf(b, pos, end, (byte) ':');
            if (colon <= pos) {
                return bad("field line without a name or colon: " + text(b, pos, end));
            }
            for (int i = pos; i < colon; i++) {
                if (!tchar(b[i])) {
                    return bad("bad byte " + (b[i] & 0xff) + " in field name " + text(b, pos, colon));
                }
            }
            int v = colon + 1;
            int e = end;
            while (v < e && (b[v] == ' ' || b[v] == '\t')) {
                v++;
            }
            while (e > v && (b[e - 1] == ' ' || b[e - 1] == '\t')) {
                e--;
            }
            for (int i = v; i < e; i++) {
                int c = b[i] & 0xff;
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                    return bad("control byte " + c + " in the value of " + text(b, pos, colon));
                }
            }
            out.add(new String[] {text(b, pos, colon), new String(b, v, e - v, StandardCharsets.ISO_8859_1)});
            pos = end + 2;
        }
    }

    private static Result chunked(byte[] b, int pos, int to, String method, String target, List<String[]> headers) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            int end = lineEnd(b, pos, to);
            if (end < -1) {
                return bad("bare CR or LF in a chunk size line");
            }
            if (end < 0) {
                return to - pos > 64 ? bad("chunk size line never ends") : INCOMPLETE;
            }
            if (end == pos || end - pos > 16) {
                return bad("bad chunk size line: " + text(b, pos, end));
            }
            long size = 0;
            for (int i = pos; i < end; i++) {
                int d = Character.digit(b[i], 16);
                if (d < 0) {
                    return bad("bad chunk size line: " + text(b, pos, end));
                }
                size = size * 16 + d;
            }
            pos = end + 2;
            if (size == 0) {
                List<String[]> trailers = new ArrayList<>();
                Object fields = fields(b, pos, to, trailers);
                if (fields instanceof Result r) {
                    return r;
                }
                for (String[] t : trailers) {
                    String n = t[0].toLowerCase(Locale.ROOT);
                    if (n.equals("content-length") || n.equals("transfer-encoding") || n.equals("host")) {
                        return bad("framing or routing field in the trailers: " + t[0]);
                    }
                }
                return new Result(new Request(method, target, headers, body.toByteArray(), true), (Integer) fields, null);
            }
            if (to - pos < size + 2) {
                return INCOMPLETE;
            }
            body.write(b, pos, (int) size);
            pos += (int) size;
            if (b[pos] != '\r' || b[pos + 1] != '\n') {
                return bad("chunk data not followed by CRLF");
            }
            pos += 2;
        }
    }

    /** The offset of the CR of the next CRLF; -1 when none yet, -2 at a bare CR or LF. */
    private static int lineEnd(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                return -2; // bare LF
            }
            if (b[i] == '\r') {
                if (i + 1 >= to) {
                    return -1;
                }
                return b[i + 1] == '\n' ? i : -2; // bare CR
            }
        }
        return -1;
    }

    static boolean tchar(byte b) {
        int c = b & 0xff;
        if (c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
            return true;
        }
        return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static int indexOf(byte[] b, int from, int to, byte x) {
        for (int i = from; i < to; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }

    private static String text(byte[] b, int from, int to) {
        return new String(b, from, Math.max(0, Math.min(to, from + 200) - from), StandardCharsets.ISO_8859_1);
    }
}
