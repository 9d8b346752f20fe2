package io.sluice.response;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Date;

/** The conditional request headers a static file answers to (RFC 9110 §13), for GET and HEAD. */
final class Conditionals {

    private Conditionals() {
    }

    /**
     * Whether the answer is 304: If-None-Match when present (weak comparison, {@code *} matches any file),
     * otherwise If-Modified-Since (the file's second is not after the given date; an unparsable date is
     * ignored).
     */
    static boolean notModified(HttpHeaders headers, String etag, long modifiedSecond) {
        if (headers.contains(HttpHeaderNames.IF_NONE_MATCH)) {
            String ours = opaque(etag);
            for (String line : headers.getAll(HttpHeaderNames.IF_NONE_MATCH)) {
                for (String tag : line.split(",")) {
                    String candidate = tag.trim();
                    if (candidate.equals("*") || opaque(candidate).equals(ours)) {
                        return true;
                    }
                }
            }
            return false;
        }
        String since = headers.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (since == null) {
            return false;
        }
        Date date = DateFormatter.parseHttpDate(since);
        return date != null && modifiedSecond * 1000L <= date.getTime();
    }

    /**
     * Whether a Range may be honoured: there is no If-Range, or it is the file's Last-Modified date. An
     * entity-tag in If-Range needs a strong match and our ETags are weak, so it never holds and the whole
     * file is sent, as RFC 9110 §13.1.5 asks.
     */
    static boolean ifRangeHolds(HttpHeaders headers, long modifiedSecond) {
        String value = headers.get(HttpHeaderNames.IF_RANGE);
        if (value == null) {
            return true;
        }
        value = value.trim();
        if (value.startsWith("\"") || value.startsWith("W/")) {
            return false;
        }
        Date date = DateFormatter.parseHttpDate(value);
        return date != null && date.getTime() == modifiedSecond * 1000L;
    }

    /** The entity-tag without its weakness indicator, for the weak comparison. */
    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
