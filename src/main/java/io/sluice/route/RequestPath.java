package io.sluice.route;

/**
 * Normalises a request path before it is matched and forwarded, so that what a route matched is what the
 * upstream receives ({@code /x/../admin}, {@code /%61dmin} and {@code //admin} are all {@code /admin}):
 * <ol>
 *   <li>percent-encoded unreserved characters are decoded ({@code %61} is {@code a}; RFC 3986 §6.2.2.2);
 *       every other percent-encoding, {@code %2F} included, is kept as sent;</li>
 *   <li>runs of {@code /} become one;</li>
 *   <li>dot-segments are removed (RFC 3986 §5.2.4).</li>
 * </ol>
 * A path that climbs above the root ({@code /../x}) or has a broken percent-encoding ({@code %4}, {@code %zz})
 * is refused. Bytes outside ASCII (each one char, as Netty's decoders give them) are left alone.
 */
public final class RequestPath {
    private RequestPath() {
    }

    /**
     * The normalised form of {@code path} (no query), the same instance when nothing changes; null when the
     * path is refused. A target that is not a path ({@code *}) comes back unchanged.
     */
    public static String normalize(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return path;
        }
        if (!needsWork(path)) {
            return path;
        }
        String decoded = decodeUnreserved(path);
        if (decoded == null) {
            return null;
        }
        return removeDotSegments(decoded);
    }

    /** True when the path has a percent sign, a double slash or a "." or ".." segment. */
    private static boolean needsWork(String path) {
        for (int i = 0, n = path.length(); i < n; i++) {
            char c = path.charAt(i);
            if (c == '%') {
                return true;
            }
            if (c == '/' && i + 1 < n) {
                char next = path.charAt(i + 1);
                if (next == '/') {
                    return true;
                }
                int dots = next != '.' ? 0 : i + 2 < n && path.charAt(i + 2) == '.' ? 2 : 1;
                if (dots > 0 && (i + 1 + dots == n || path.charAt(i + 1 + dots) == '/')) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String decodeUnreserved(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        StringBuilder out = new StringBuilder(path.length());
        for (int i = 0, n = path.length(); i < n; i++) {
            char c = path.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i + 2 >= n) {
                return null;
            }
            int hi = Character.digit(path.charAt(i + 1), 16);
            int lo = Character.digit(path.charAt(i + 2), 16);
            if (hi < 0 || lo < 0 || path.charAt(i + 1) > 'f' || path.charAt(i + 2) > 'f') {
                return null; // Character.digit also takes non-ASCII digits
            }
            char decoded = (char) (hi * 16 + lo);
            if (unreserved(decoded)) {
                out.append(decoded);
            } else {
                out.append(path, i, i + 3);
            }
            i += 2;
        }
        return out.toString();
    }

    /** ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3). */
    private static boolean unreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /** Merges slashes and removes "." and ".." segments; null when ".." would climb above the root. */
    private static String removeDotSegments(String path) {
        int n = path.length();
        // segment start offsets in out, a stack: ".." pops one
        int[] starts = new int[8];
        int depth = 0;
        StringBuilder out = new StringBuilder(n);
        int i = 0;
        while (i < n) {
            // path.charAt(i) == '/': skip the run of slashes
            while (i < n && path.charAt(i) == '/') {
                i++;
            }
            int end = path.indexOf('/', i);
            if (end < 0) {
                end = n;
            }
            int length = end - i;
            boolean last = end == n;
            if (length == 1 && path.charAt(i) == '.') {
                if (last) {
                    out.append('/'); // "/a/." is "/a/"
                }
            } else if (length == 2 && path.charAt(i) == '.' && path.charAt(i + 1) == '.') {
                if (depth == 0) {
                    return null;
                }
                out.setLength(starts[--depth]);
                if (last) {
                    out.append('/'); // "/a/b/.." is "/a/"
                }
            } else {
                if (depth == starts.length) {
                    starts = java.util.Arrays.copyOf(starts, depth * 2);
                }
                starts[depth++] = out.length();
                out.append('/').append(path, i, end);
            }
            i = end;
        }
        if (out.length() == 0) {
            out.append('/');
        }
        return out.toString();
    }
}
