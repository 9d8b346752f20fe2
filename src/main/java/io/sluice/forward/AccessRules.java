package io.sluice.forward;

import io.sluice.config.Cidr;
import io.sluice.config.ForwardProxyConfig;
import io.sluice.config.ForwardProxyConfig.Rule;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * A forward proxy's {@code allow} and {@code deny} rules. A destination passes in two steps:
 * <ol>
 *   <li>{@link #nameAllowed}: the host as the client named it. A name in {@code deny} is refused here.</li>
 *   <li>{@link #addressAllowed}: every address the host resolves to (or the literal address). An address in
 *       {@code deny} is refused; an internal address (loopback, private, link-local, unique-local, CGNAT,
 *       multicast, unspecified, reserved) passes only when an {@code allow} entry lists it by address or
 *       CIDR, so an allowed public name cannot be pointed at an internal address; any other address passes
 *       when the name was allowed or an {@code allow} entry lists the address.</li>
 * </ol>
 * An IPv4-mapped IPv6 address ({@code ::ffff:127.0.0.1}) is judged as the IPv4 address it carries. Immutable.
 */
public final class AccessRules {
    private final List<Rule> allow;
    private final List<Rule> deny;

    public AccessRules(ForwardProxyConfig config) {
        this.allow = config.allow();
        this.deny = config.deny();
    }

    /** Step 1 for a host name (lower case): 1 allowed by name, 0 not by name (its addresses may be), -1 denied. */
    public int nameAllowed(String name, int port) {
        if (matchesName(deny, name, port)) {
            return -1;
        }
        return matchesName(allow, name, port) ? 1 : 0;
    }

    /** Step 2 for one address the destination resolved to (or was given as). */
    public boolean addressAllowed(InetAddress address, int port, boolean nameAllowed) {
        InetAddress a = Cidr.unmap(address);
        if (matchesBlock(deny, a, port)) {
            return false;
        }
        if (internal(a)) {
            return matchesBlock(allow, a, port);
        }
        return nameAllowed || matchesBlock(allow, a, port);
    }

    private static boolean matchesName(List<Rule> rules, String name, int port) {
        for (Rule r : rules) {
            if (r.name() != null && (r.port() == 0 || r.port() == port) && nameMatches(r.name(), name)) {
                return true;
            }
        }
        return false;
    }

    /** {@code *.example.com} matches names ending in {@code .example.com} (one or more labels), not the name itself. */
    static boolean nameMatches(String rule, String name) {
        if (rule.startsWith("*.")) {
            return name.length() > rule.length() - 1 && name.endsWith(rule.substring(1));
        }
        return rule.equals(name);
    }

    private static boolean matchesBlock(List<Rule> rules, InetAddress a, int port) {
        for (Rule r : rules) {
            if (r.block() != null && (r.port() == 0 || r.port() == port) && r.block().contains(a)) {
                return true;
            }
        }
        return false;
    }

    private static final List<Cidr> INTERNAL = List.of(
            Cidr.parse("0.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("100.64.0.0/10"), Cidr.parse("127.0.0.0/8"),
            Cidr.parse("169.254.0.0/16"), Cidr.parse("172.16.0.0/12"), Cidr.parse("192.0.0.0/24"),
            Cidr.parse("192.168.0.0/16"), Cidr.parse("198.18.0.0/15"), Cidr.parse("224.0.0.0/3"),
            Cidr.parse("::/96"),          // unspecified, loopback and the deprecated IPv4-compatible addresses
            Cidr.parse("64:ff9b::/96"),   // NAT64: whatever IPv4 address it carries
            Cidr.parse("64:ff9b:1::/48"), Cidr.parse("2002::/16"), // local NAT64, 6to4 (embeds IPv4)
            Cidr.parse("fc00::/7"), Cidr.parse("fe80::/10"), Cidr.parse("fec0::/10"), Cidr.parse("ff00::/8"));

    /** Loopback, private, link-local, unique-local, shared (CGNAT), multicast, unspecified or reserved. */
    static boolean internal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        for (Cidr c : INTERNAL) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** For messages: IPv4 dotted, IPv6 short. */
    static String text(InetAddress a) {
        InetAddress u = Cidr.unmap(a);
        return u instanceof Inet4Address ? u.getHostAddress() : io.netty.util.NetUtil.toAddressString(u);
    }
}
