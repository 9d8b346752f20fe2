package io.sluice.response;

import io.netty.handler.codec.DateFormatter;
import java.util.Date;
import java.util.List;

/**
 * The conditional request headers (RFC 9110 §13) for GET and HEAD, as static files and the cache answer them:
 * a representation is named by its entity-tag (may be null) and the millisecond of its Last-Modified (-1 for
 * none).
 */
public final class Conditionals {

    private Conditionals() {
    }

    /**
     * Whether the answer is 412 (RFC 9110 §13.2.2, steps 1 and 2): {@code ifMatch} (every value of the field) when
     * present, where no tag matches (strong comparison, so a weak tag never does; {@code *} matches any
     * representation), otherwise {@code ifUnmodifiedSince} when the representation's Last-Modified is after it
     * (an unparsable date is ignored).
     */
    public static boolean preconditionFailed(List<String> ifMatch, String ifUnmodifiedSince, String etag,
                                             long modifiedMillis) {
        if (!ifMatch.isEmpty()) {
            return !listed(ifMatch, etag, false);
        }
        if (ifUnmodifiedSince == null || modifiedMillis < 0) {
            return false;
        }
        Date date = DateFormatter.parseHttpDate(ifUnmodifiedSince);
        return date != null && modifiedMillis > date.getTime();
    }

    /**
     * Whether the answer is 304: {@code ifNoneMatch} (every value of the field) when present (weak comparison,
     * {@code *} matches any representation), otherwise {@code ifModifiedSince} (the representation's
     * Last-Modified is not after the given date; an unparsable date is ignored).
     */
    public static boolean notModified(List<String> ifNoneMatch, String ifModifiedSince, String etag,
                                      long modifiedMillis) {
        if (!ifNoneMatch.isEmpty()) {
            return listed(ifNoneMatch, etag, true);
        }
        if (ifModifiedSince == null || modifiedMillis < 0) {
            return false;
        }
        Date date = DateFormatter.parseHttpDate(ifModifiedSince);
        return date != null && modifiedMillis <= date.getTime();
    }

    /**
     * Whether a Range may be honoured: there is no If-Range, it is the representation's strong entity-tag
     * (strong comparison: a weak tag never holds, RFC 9110 §13.1.5), or it is its Last-Modified date.
     */
    public static boolean ifRangeHolds(String ifRange, String etag, long modifiedMillis) {
        if (ifRange == null) {
            return true;
        }
        String value = ifRange.trim();
        if (value.startsWith("\"")) {
            return etag != null && value.equals(etag.trim());
        }
        if (value.startsWith("W/") || modifiedMillis < 0) {
            return false;
        }
        Date date = DateFormatter.parseHttpDate(value);
        return date != null && date.getTime() == modifiedMillis;
    }

    /** The millisecond of an HTTP date, whole seconds as the field has them; -1 for none or one that does not parse. */
    public static long millisOf(String httpDate) {
        Date date = httpDate == null ? null : DateFormatter.parseHttpDate(httpDate);
        return date == null ? -1 : date.getTime();
    }

    /**
     * Whether an entity-tag list field (every line of it) has {@code *} or a tag matching {@code etag}: by the
     * weak comparison, or by the strong one, where a weak tag matches nothing (RFC 9110 §8.8.3.2).
     */
    private static boolean listed(List<String> lines, String etag, boolean weak) {
        String ours = etag == null ? null : etag.trim();
        if (ours != null && ours.startsWith("W/")) {
            ours = weak ? opaque(ours) : null;
        }
        for (String line : lines) {
            for (String tag : line.split(",")) {
                String candidate = tag.trim();
                if (candidate.equals("*") || (ours != null && (weak ? opaque(candidate) : candidate).equals(ours))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The entity-tag without its weakness indicator, for the weak comparison. */
    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
