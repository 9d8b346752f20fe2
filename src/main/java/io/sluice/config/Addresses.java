package io.sluice.config;

import io.netty.util.NetUtil;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Parses the two address forms of the configuration. Listening addresses ({@code listeners[].address},
 * {@code admin.address}, quick mode's {@code --from}) are {@code host:port} or {@code [v6]:port}, port 0
 * to 65535 (0: any free port). Endpoint addresses are {@code host:port}, {@code http://host[:port][/path]} or
 * {@code https://host[:port][/path]} (80 and 443 when the port is omitted), with IPv6 hosts in brackets;
 * the path is a base every forwarded request path is joined to. DNS
 * server addresses ({@code server.resolver.nameservers}) are an IP address with an optional port (53).
 * Nothing here looks a name up. Failures throw IllegalArgumentException with a message for people.
 */
public final class Addresses {

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?");
    static final String LISTEN_EXPECTED = "expected host:port, e.g. 0.0.0.0:8080 or [::1]:8080";
    static final String ENDPOINT_EXPECTED =
            "expected host:port, http://host[:port][/path] or https://host[:port][/path], e.g. 127.0.0.1:9001";
    static final String NAMESERVER_EXPECTED =
            "expected an IP address with an optional port, e.g. 10.0.0.2:53 or [fd00::2]";

    private Addresses() {
    }

    /** A listening address: {@code host:port} or {@code [v6]:port}. */
    public static HostPort listen(String text) {
        return hostPort(text, -1, LISTEN_EXPECTED);
    }

    /** An endpoint address with its weight; {@link EndpointConfig#address()} keeps {@code text} as written. */
    public static EndpointConfig endpoint(String text, int weight) {
        String rest = text;
        String basePath = "";
        boolean tls = false;
        int defaultPort = -1;
        int scheme = text.indexOf("://");
        if (scheme >= 0) {
            String s = text.substring(0, scheme).toLowerCase(Locale.ROOT);
            if (s.equals("https")) {
                tls = true;
                defaultPort = 443;
            } else if (s.equals("http")) {
                defaultPort = 80;
            } else {
                throw new IllegalArgumentException("bad address '" + text + "' (unknown scheme '"
                        + text.substring(0, scheme) + "'; expected http or https)");
            }
            rest = text.substring(scheme + 3);
            if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
                throw new IllegalArgumentException("bad address '" + text
                        + "' (an endpoint address has no query or fragment; expected scheme://host[:port][/path])");
            }
            int slash = rest.indexOf('/');
            if (slash >= 0) {
                basePath = rest.substring(slash);
                rest = rest.substring(0, slash);
                if (basePath.equals("/")) {
                    basePath = ""; // http://host:port/ is the root: nothing to join
                } else if (!basePath.chars().allMatch(Addresses::pathChar)) {
                    throw new IllegalArgumentException("bad address '" + text + "' (bad character in the path '"
                            + basePath + "'; use percent-encoding)");
                }
            }
        }
        HostPort hp = hostPort(rest, defaultPort, ENDPOINT_EXPECTED, text);
        if (hp.port() == 0) {
            throw new IllegalArgumentException("bad address '" + text + "' (port must be 1 to 65535)");
        }
        return new EndpointConfig(text, hp.host(), hp.port(), tls, weight, basePath);
    }

    /** RFC 3986 pchar and '/': what a path may hold as written (anything else percent-encoded). */
    private static boolean pathChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-._~!$&'()*+,;=:@/%".indexOf(c) >= 0;
    }

    /**
     * A DNS server: {@code ip}, {@code ip:port}, {@code [v6]} or {@code [v6]:port}; port 53 when omitted. An
     * IP address, not a name: the resolver cannot look up where to send its own lookups.
     */
    public static HostPort nameserver(String text) {
        HostPort hp = hostPort(text, 53, NAMESERVER_EXPECTED);
        if (!NetUtil.isValidIpV4Address(hp.host()) && !NetUtil.isValidIpV6Address(hp.host())) {
            throw new IllegalArgumentException("bad nameserver '" + text + "' (" + NAMESERVER_EXPECTED
                    + "; a name server is given by address, not by name)");
        }
        if (hp.port() == 0) {
            throw new IllegalArgumentException("bad nameserver '" + text + "' (port must be 1 to 65535)");
        }
        return hp;
    }

    private static HostPort hostPort(String text, int defaultPort, String expected) {
        return hostPort(text, defaultPort, expected, text);
    }

    private static HostPort hostPort(String text, int defaultPort, String expected, String original) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw bad(original, expected);
            }
            host = text.substring(1, close);
            if (!IPV6.matcher(host).matches() || host.indexOf(':') < 0) {
                throw new IllegalArgumentException("bad address '" + original
                        + "' (expected an IPv6 address in the brackets)");
            }
            String after = text.substring(close + 1);
            if (after.isEmpty() && defaultPort >= 0) {
                return new HostPort(host, defaultPort);
            }
            if (!after.startsWith(":")) {
                throw bad(original, expected);
            }
            port = after.substring(1);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                if (defaultPort >= 0 && HOST_NAME.matcher(text).matches()) {
                    return new HostPort(text, defaultPort);
                }
                throw bad(original, expected);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("bad address '" + original
                        + "' (put IPv6 addresses in brackets, e.g. [::1]:8080)");
            }
            if (!HOST_NAME.matcher(host).matches()) {
                throw bad(original, expected);
            }
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(original, expected);
        }
        int p = Integer.parseInt(port);
        if (p > 65535) {
            throw new IllegalArgumentException("bad address '" + original + "' (port must be 0 to 65535)");
        }
        return new HostPort(host, p);
    }

    private static IllegalArgumentException bad(String text, String expected) {
        return new IllegalArgumentException("bad address '" + text + "' (" + expected + ")");
    }
}
