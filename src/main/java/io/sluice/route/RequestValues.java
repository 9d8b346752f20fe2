package io.sluice.route;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads one cookie or one query parameter of a request without building a map of all of them: the
 * routes and policies that look at a cookie or a parameter ask for one name. Only they pay for it.
 */
public final class RequestValues {
    private RequestValues() {
    }

    /**
     * The value of cookie {@code name} in the request's {@code Cookie} headers (the first one when it
     * appears more than once), without surrounding double quotes; null when absent.
     */
    public static String cookie(HttpHeaders headers, String name) {
        for (String header : headers.getAll(HttpHeaderNames.COOKIE)) {
            String v = cookie(header, name);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** The value of cookie {@code name} in one {@code Cookie} header value ({@code a=1; b=2}), or null. */
    static String cookie(String header, String name) {
        int n = header.length();
        int i = 0;
        while (i < n) {
            while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == ';' || header.charAt(i) == '\t')) {
                i++;
            }
            int end = header.indexOf(';', i);
            if (end < 0) {
                end = n;
            }
            int eq = header.indexOf('=', i);
            if (eq > i && eq < end && eq - i == name.length() && header.regionMatches(i, name, 0, name.length())) {
                int from = eq + 1;
                int to = end;
                while (to > from && (header.charAt(to - 1) == ' ' || header.charAt(to - 1) == '\t')) {
                    to--;
                }
                if (to - from >= 2 && header.charAt(from) == '"' && header.charAt(to - 1) == '"') {
                    from++;
                    to--;
                }
                return header.substring(from, to);
            }
            i = end + 1;
        }
        return null;
    }

    /**
     * The first value of query parameter {@code name} in {@code uri} (path and query), percent-decoded
     * ({@code +} as a space, as forms send it); "" for {@code ?name} or {@code ?name=}; null when absent.
     */
    public static String query(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        int n = uri.indexOf('#', q);
        if (n < 0) {
            n = uri.length();
        }
        int i = q + 1;
        while (i < n) {
            int end = uri.indexOf('&', i);
            if (end < 0 || end > n) {
                end = n;
            }
            int eq = uri.indexOf('=', i);
            int nameEnd = eq >= 0 && eq < end ? eq : end;
            if (nameEnd > i && name.equals(decode(uri, i, nameEnd))) {
                return nameEnd == end ? "" : decode(uri, nameEnd + 1, end);
            }
            i = end + 1;
        }
        return null;
    }

    private static String decode(String uri, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = uri.charAt(i);
            if (c == '%' || c == '+') {
                return QueryStringDecoder.decodeComponent(uri.substring(from, to), StandardCharsets.UTF_8);
            }
        }
        return uri.substring(from, to);
    }
}
