package io.sluice.filter.cache;

import java.util.List;
import java.util.Locale;

/**
 * The {@code Cache-Control} directives a shared cache acts on (RFC 9111 §5.2), read from every field line of a
 * request or response. Directives with a field-name list ({@code no-cache="Set-Cookie"}) count as the plain
 * directive: stricter than the RFC needs, never wrong. A bad or missing number is -1 ("not given").
 */
public record CacheControl(boolean noStore, boolean noCache, boolean isPrivate, boolean isPublic,
                           boolean mustRevalidate, long maxAge, long sMaxAge, boolean onlyIfCached) {

    static final CacheControl NONE = new CacheControl(false, false, false, false, false, -1, -1, false);

    /** Parses every value of {@code Cache-Control}; {@code pragmaNoCache} for a request's {@code Pragma: no-cache}. */
    public static CacheControl parse(List<String> values, boolean pragmaNoCache) {
        if (values.isEmpty()) {
            return pragmaNoCache ? new CacheControl(false, true, false, false, false, -1, -1, false) : NONE;
        }
        boolean noStore = false;
        boolean noCache = false;
        boolean priv = false;
        boolean pub = false;
        boolean mustRevalidate = false;
        long maxAge = -1;
        long sMaxAge = -1;
        boolean onlyIfCached = false;
        for (String value : values) {
            for (String item : splitOutsideQuotes(value)) {
                int eq = item.indexOf('=');
                String name = (eq < 0 ? item : item.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
                String arg = eq < 0 ? null : unquote(item.substring(eq + 1).strip());
                switch (name) {
                    case "no-store" -> noStore = true;
                    case "no-cache" -> noCache = true;
                    case "private" -> priv = true;
                    case "public" -> pub = true;
                    case "must-revalidate", "proxy-revalidate" -> mustRevalidate = true;
                    case "max-age" -> maxAge = seconds(arg, maxAge);
                    case "s-maxage" -> sMaxAge = seconds(arg, sMaxAge);
                    case "only-if-cached" -> onlyIfCached = true;
                    default -> {
                        // extensions and directives a shared cache does not act on (no-transform, immutable, ...)
                    }
                }
            }
        }
        return new CacheControl(noStore, noCache, priv, pub, mustRevalidate, maxAge, sMaxAge, onlyIfCached);
    }

    /** Delta-seconds; a second value of one directive makes it invalid (RFC 9111 §4.2.1: treat as stale, 0). */
    private static long seconds(String arg, long before) {
        if (arg == null || arg.isEmpty() || before >= 0) {
            return 0;
        }
        long n = 0;
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c < '0' || c > '9') {
                return 0;
            }
            n = Math.min(n * 10 + (c - '0'), Integer.MAX_VALUE); // RFC 9111 §1.2.2: cap, do not overflow
        }
        return n;
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.charAt(0) == '"' && s.charAt(s.length() - 1) == '"' ? s.substring(1, s.length() - 1) : s;
    }

    private static List<String> splitOutsideQuotes(String value) {
        java.util.ArrayList<String> items = new java.util.ArrayList<>(4);
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                items.add(value.substring(start, i));
                start = i + 1;
            }
        }
        items.add(value.substring(start));
        return items;
    }
}
