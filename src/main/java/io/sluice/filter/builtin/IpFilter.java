package io.sluice.filter.builtin;

import io.netty.util.NetUtil;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Verdict;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ip_filter}: a client in {@code deny} is answered 403; when {@code allow} is given, a client outside
 * it is answered 403. Entries are addresses or CIDRs, IPv4 and IPv6; an IPv4-mapped IPv6 client
 * ({@code ::ffff:203.0.113.9}) is matched as the IPv4 address it is.
 */
public final class IpFilter implements FilterFactory<IpFilter.Settings> {

    public record Settings(List<Cidr> allow, List<Cidr> deny) {
    }

    /** One address block: the first {@code bits} bits of {@code network}. */
    public record Cidr(byte[] network, int bits, String text) {

        static Cidr parse(String text) {
            String t = text.strip();
            int slash = t.indexOf('/');
            String address = slash < 0 ? t : t.substring(0, slash);
            byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
            if (bytes == null) {
                throw new IllegalArgumentException("bad address '" + text
                        + "' (expected an IPv4 or IPv6 address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32)");
            }
            bytes = unmapped(bytes);
            int bits = bytes.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(t.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > bytes.length * 8) {
                    throw new IllegalArgumentException("bad prefix length in '" + text + "' (expected 0 to "
                            + bytes.length * 8 + ")");
                }
            }
            return new Cidr(bytes, bits, t);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    /** An IPv4-mapped IPv6 address as its IPv4 bytes; others unchanged. */
    static byte[] unmapped(byte[] bytes) {
        if (bytes.length == 16) {
            for (int i = 0; i < 10; i++) {
                if (bytes[i] != 0) {
                    return bytes;
                }
            }
            if (bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff) {
                return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
            }
        }
        return bytes;
    }

    @Override
    public String type() {
        return "ip_filter";
    }

    @Override
    public List<String> keys() {
        return List.of("allow", "deny");
    }

    @Override
    public Settings configure(FilterSettings s) {
        if (!s.has("allow") && !s.has("deny")) {
            s.error("allow", "ip_filter needs 'allow' or 'deny' (lists of addresses and CIDRs)");
            return null;
        }
        List<Cidr> allow = list(s, "allow");
        List<Cidr> deny = list(s, "deny");
        if (s.has("allow") && allow.isEmpty()) {
            s.error("allow", "'allow' is empty: no client could pass (leave it out to allow every client)");
        }
        return new Settings(allow, deny);
    }

    private static List<Cidr> list(FilterSettings s, String key) {
        List<Cidr> out = new ArrayList<>();
        for (String item : s.strings(key)) {
            try {
                out.add(Cidr.parse(item));
            } catch (IllegalArgumentException e) {
                s.error(key, e.getMessage());
            }
        }
        return out;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        Cidr[] allow = settings.allow().toArray(new Cidr[0]);
        Cidr[] deny = settings.deny().toArray(new Cidr[0]);
        return new Filter() {
            @Override
            public Verdict onRequest(FilterContext context) {
                byte[] client = NetUtil.createByteArrayFromIpAddressString(context.clientIp());
                if (client == null) {
                    return Verdict.answer(403, "client address not allowed");
                }
                client = unmapped(client);
                for (Cidr c : deny) {
                    if (c.contains(client)) {
                        return Verdict.answer(403, "client address not allowed");
                    }
                }
                if (allow.length == 0) {
                    return Verdict.next();
                }
                for (Cidr c : allow) {
                    if (c.contains(client)) {
                        return Verdict.next();
                    }
                }
                return Verdict.answer(403, "client address not allowed");
            }
        };
    }
}
