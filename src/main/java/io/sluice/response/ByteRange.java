package io.sluice.response;

import java.util.Locale;

/**
 * One satisfiable byte range of a representation of {@code size} bytes, parsed from a Range header
 * (RFC 9110 §14.1.2). Only a single range is honoured: a header with several ranges is ignored and the
 * whole file is served with 200, which the RFC allows ("a server MAY ignore the Range header field") and
 * which spares us multipart/byteranges.
 *
 * @param first the first byte, inclusive
 * @param last  the last byte, inclusive
 */
public record ByteRange(long first, long last) {

    /** What a Range header asks of a file. */
    public enum Kind { IGNORE, PARTIAL, UNSATISFIABLE }

    /** A parsed Range header: {@code range} is set only for {@link Kind#PARTIAL}. */
    public record Request(Kind kind, ByteRange range) {
        static final Request IGNORE = new Request(Kind.IGNORE, null);
        static final Request UNSATISFIABLE = new Request(Kind.UNSATISFIABLE, null);
    }

    public long length() {
        return last - first + 1;
    }

    /**
     * Reads {@code header} against a file of {@code size} bytes. A missing or malformed header, another
     * unit than bytes, or several ranges give {@link Kind#IGNORE}; a well-formed range that starts at or
     * past the end (or a suffix of 0 bytes, or any range of an empty file) gives
     * {@link Kind#UNSATISFIABLE}; the last position is clamped to the end of the file.
     */
    public static Request parse(String header, long size) {
        if (header == null) {
            return Request.IGNORE;
        }
        String value = header.trim();
        int eq = value.indexOf('=');
        if (eq < 0 || !value.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("bytes")) {
            return Request.IGNORE;
        }
        String spec = value.substring(eq + 1).trim();
        if (spec.indexOf(',') >= 0) {
            return Request.IGNORE; // several ranges: the whole file (see the class comment)
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return Request.IGNORE;
        }
        String firstText = spec.substring(0, dash).trim();
        String lastText = spec.substring(dash + 1).trim();
        if (firstText.isEmpty()) { // "-n": the last n bytes
            long suffix = digits(lastText);
            if (suffix < 0) {
                return Request.IGNORE;
            }
            if (suffix == 0 || size == 0) {
                return Request.UNSATISFIABLE;
            }
            return partial(Math.max(0, size - suffix), size - 1);
        }
        long first = digits(firstText);
        long last = lastText.isEmpty() ? Long.MAX_VALUE : digits(lastText);
        if (first < 0 || last < 0 || last < first) {
            return Request.IGNORE;
        }
        if (first >= size) {
            return Request.UNSATISFIABLE;
        }
        return partial(first, Math.min(last, size - 1));
    }

    private static Request partial(long first, long last) {
        return new Request(Kind.PARTIAL, new ByteRange(first, last));
    }

    /** The value of a string of ASCII digits, saturating at Long.MAX_VALUE; -1 when it is not one. */
    private static long digits(String text) {
        if (text.isEmpty()) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : value * 10 + (c - '0');
        }
        return value;
    }
}
