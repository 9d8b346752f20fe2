package io.sluice.config;

import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP address or a CIDR block ({@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code ::1}, {@code fd00::/8}), as
 * {@code proxy_protocol_from} and the forward proxy's rules give them. Only literal addresses parse (Netty's
 * strict parser: dotted-quad decimal IPv4, RFC 4291 IPv6); nothing is looked up. An IPv4-mapped IPv6
 * address ({@code ::ffff:127.0.0.1}) is the IPv4 address it carries, here and in {@link #contains}; a block of
 * them counts IPv6 bits ({@code ::ffff:10.0.0.0/104} is {@code 10.0.0.0/8}).
 */
public final class Cidr {
    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /** {@code ADDRESS} or {@code ADDRESS/PREFIX}; IllegalArgumentException with the reason when it is neither. */
    public static Cidr parse(String text) {
        String s = text.strip();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        if (addr.startsWith("[") && addr.endsWith("]")) {
            addr = addr.substring(1, addr.length() - 1);
        }
        byte[] bytes = literal(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("bad address or CIDR '" + text
                    + "' (expected an IP address or a block such as 10.0.0.0/8 or fd00::/8)");
        }
        // An IPv4-mapped literal (::ffff:10.0.0.0) is kept as its IPv4 address, but its prefix counts IPv6 bits:
        // ::ffff:10.0.0.0/104 is 10.0.0.0/8. A prefix under 96 would reach beyond the mapped addresses.
        boolean mapped = bytes.length == 4 && literalIsMapped(addr);
        int max = mapped ? 128 : bytes.length * 8;
        int min = mapped ? 96 : 0;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(p) > max || Integer.parseInt(p) < min) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "' (expected " + min + " to " + max
                        + (mapped ? " for an IPv4-mapped address; or write the IPv4 block itself, e.g. 10.0.0.0/8)" : ")"));
            }
            prefix = Integer.parseInt(p);
        }
        if (mapped) {
            prefix -= 96;
        }
        return new Cidr(bytes, prefix, s);
    }

    /** The address bytes of an IP literal (4 for IPv4 and IPv4-mapped IPv6, 16 for IPv6), or null. */
    public static byte[] literal(String s) {
        if (!NetUtil.isValidIpV4Address(s) && !NetUtil.isValidIpV6Address(s)) {
            return null;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(s);
        if (bytes == null) {
            return null;
        }
        return bytes.length == 16 && isMapped(bytes) ? java.util.Arrays.copyOfRange(bytes, 12, 16) : bytes;
    }

    private static boolean literalIsMapped(String s) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(s);
        return bytes != null && bytes.length == 16;
    }

    /** The IPv4 address an IPv4-mapped IPv6 address carries; any other address as it is. */
    public static InetAddress unmap(InetAddress a) {
        if (a instanceof Inet6Address && isMapped(a.getAddress())) {
            try {
                return InetAddress.getByAddress(java.util.Arrays.copyOfRange(a.getAddress(), 12, 16));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // four bytes are always an address
            }
        }
        return a;
    }

    private static boolean isMapped(byte[] b) {
        if (b.length != 16 || b[10] != (byte) 0xff || b[11] != (byte) 0xff) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code address} (IPv4-mapped IPv6 taken as IPv4) is in this block. */
    public boolean contains(InetAddress address) {
        byte[] a = unmap(address).getAddress();
        if (a.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (network[full] & mask);
    }

    /** True for an IPv4 block ({@code 4} bytes). */
    public boolean ipv4() {
        return network.length == 4;
    }

    /** Whether this is a single address rather than a block of several. */
    public boolean single() {
        return prefix == network.length * 8;
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(network) * 31 + prefix;
    }
}
