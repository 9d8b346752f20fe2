package io.sluice.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;

/**
 * The admin listener; absent from the file means no admin listener. {@code token} (from {@code token} or
 * the file {@code token_file}) is null when none is set; {@code hosts} are extra names a request's
 * {@code Host} may give for the admin address (besides the address itself).
 */
public record AdminConfig(HostPort address, String token, List<String> hosts) {

    public AdminConfig {
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
    }

    public AdminConfig(HostPort address) {
        this(address, null, List.of());
    }

    /** Whether the admin address is reachable only from this machine (127.0.0.0/8, ::1, localhost). */
    public boolean loopback() {
        return isLoopback(address.host());
    }

    public static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost")) {
            return true;
        }
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(h); // a literal only: no lookup
        try {
            return ip != null && InetAddress.getByAddress(ip).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** Hides the token from toString (logs, exceptions). */
    @Override
    public String toString() {
        return "AdminConfig[address=" + address + ", token=" + (token == null ? "none" : "[redacted]") + ", hosts=" + hosts + "]";
    }
}
