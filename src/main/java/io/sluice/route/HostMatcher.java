package io.sluice.route;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Matches the Host header against exact names and {@code *.suffix} wildcards, case-insensitively and
 * ignoring the port. A wildcard needs at least one label before the suffix: {@code *.example.org}
 * matches {@code a.example.org} and {@code a.b.example.org}, not {@code example.org}.
 */
final class HostMatcher {
    private final Set<String> exact = new HashSet<>();
    private final String[] suffixes; // ".example.org"

    HostMatcher(List<String> hosts) {
        List<String> suffixList = new ArrayList<>();
        for (String h : hosts) {
            String host = h.toLowerCase(Locale.ROOT);
            if (host.startsWith("*.")) {
                suffixList.add(host.substring(1));
            } else {
                exact.add(host);
            }
        }
        this.suffixes = suffixList.toArray(new String[0]);
    }

    boolean matches(String hostHeader) {
        if (hostHeader == null) {
            return false;
        }
        String host = stripPort(hostHeader).toLowerCase(Locale.ROOT);
        if (exact.contains(host)) {
            return true;
        }
        for (String suffix : suffixes) {
            if (host.length() > suffix.length() && host.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    /** {@code example.org:8080} → {@code example.org}; {@code [::1]:8080} → {@code ::1}. */
    static String stripPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(1, end) : host;
        }
        int colon = host.lastIndexOf(':');
        if (colon >= 0 && host.indexOf(':') == colon) {
            return host.substring(0, colon);
        }
        return host;
    }
}
