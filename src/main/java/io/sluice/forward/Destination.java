package io.sluice.forward;

import io.sluice.config.Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a client asks the forward proxy to go: {@code host:port} of a CONNECT, or the authority of an
 * absolute-form target. The host is an IP literal (dotted-quad IPv4 or bracketed IPv6, parsed strictly:
 * no decimal {@code 2130706433}, no octal {@code 0177.0.0.1}) or a DNS name whose last label is not all
 * digits (a real top-level domain never is, and a resolver library might read such a name as an address).
 *
 * @param host    the name in lower case without a trailing dot, or the address as text
 * @param address the literal address, or null for a name
 */
public record Destination(String host, InetAddress address, int port) {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");

    /** {@code host:port} (a CONNECT target); null when it is not one. */
    public static Destination authority(String text) {
        return parse(text, -1);
    }

    /**
     * {@code http://host[:port]/...} or {@code https://...}; null when it is not absolute-form or its
     * authority is bad.
     */
    public static Destination absolute(String uri) {
        int port;
        int start;
        if (uri.regionMatches(true, 0, "http://", 0, 7)) {
            port = 80;
            start = 7;
        } else if (uri.regionMatches(true, 0, "https://", 0, 8)) {
            port = 443;
            start = 8;
        } else {
            return null;
        }
        int end = start;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        String authority = uri.substring(start, end);
        if (authority.indexOf('@') >= 0) {
            return null; // userinfo has no place in a request target (RFC 9110 §4.2.4)
        }
        return parse(authority, port);
    }

    /** True for an {@code https://} absolute-form target. */
    public static boolean secure(String uri) {
        return uri.regionMatches(true, 0, "https://", 0, 8);
    }

    private static Destination parse(String text, int defaultPort) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (rest.isEmpty() && defaultPort > 0) {
                port = null;
            } else if (rest.startsWith(":")) {
                port = rest.substring(1);
            } else {
                return null;
            }
            if (host.indexOf(':') < 0 || Cidr.literal(host) == null) {
                return null;
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                if (defaultPort < 0) {
                    return null; // CONNECT needs the port
                }
                host = text;
                port = null;
            } else {
                host = text.substring(0, colon);
                port = text.substring(colon + 1);
            }
            if (host.indexOf(':') >= 0) {
                return null;
            }
        }
        int p = defaultPort;
        if (port != null) {
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            p = Integer.parseInt(port);
        }
        if (p < 1 || p > 65535) {
            return null;
        }
        byte[] literal = Cidr.literal(host);
        if (literal != null) {
            try {
                InetAddress a = InetAddress.getByAddress(literal); // bytes only: nothing is looked up
                return new Destination(AccessRules.text(a), a, p);
            } catch (UnknownHostException e) {
                return null;
            }
        }
        String name = host.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty() || name.length() > 253) {
            return null;
        }
        String[] labels = name.split("\\.", -1);
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return null;
            }
        }
        if (labels[labels.length - 1].chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null; // 2130706433, 0177.0.0.1, 127.1: numbers, not names, and not the addresses we parse
        }
        return new Destination(name, null, p);
    }

    /** {@code host:port} with IPv6 in brackets, as a cache key and in messages. */
    public String authorityText() {
        return (address != null && host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
