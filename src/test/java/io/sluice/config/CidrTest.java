package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class CidrTest {

    private static boolean in(String block, String address) throws Exception {
        return Cidr.parse(block).contains(InetAddress.getByName(address));
    }

    @Test
    void blocksMatchTheirAddressesOnly() throws Exception {
        assertThat(in("10.0.0.0/8", "10.200.1.2")).isTrue();
        assertThat(in("10.0.0.0/8", "11.0.0.1")).isFalse();
        assertThat(in("127.0.0.1", "127.0.0.1")).isTrue();
        assertThat(in("127.0.0.1", "127.0.0.2")).isFalse();
        assertThat(in("fd00::/8", "fd12::1")).isTrue();
        assertThat(in("fd00::/8", "fe80::1")).isFalse();
        assertThat(in("10.0.0.0/8", "::ffff:10.1.2.3")).isTrue(); // a mapped address is the IPv4 it carries
    }

    @Test
    void anIpv4MappedBlockCountsIpv6Bits() throws Exception {
        // ::ffff:10.0.0.0/104 is 10.0.0.0/8; before, a mapped literal took /8 and became /0, all of IPv4
        assertThat(in("::ffff:10.0.0.0/104", "10.9.9.9")).isTrue();
        assertThat(in("::ffff:10.0.0.0/104", "127.0.0.1")).isFalse();
        assertThat(in("[::ffff:10.0.0.0]/104", "169.254.169.254")).isFalse();
        assertThat(in("::ffff:10.1.2.3", "10.1.2.3")).isTrue();
        assertThat(in("::ffff:10.1.2.3", "10.1.2.4")).isFalse();
        assertThat(in("::ffff:0.0.0.0/96", "192.0.2.1")).isTrue();
        assertThatThrownBy(() -> Cidr.parse("::ffff:10.0.0.0/8"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("96 to 128");
        assertThatThrownBy(() -> Cidr.parse("[::ffff:10.0.0.0]/8"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10.0.0.0/8");
        assertThatThrownBy(() -> Cidr.parse("::ffff:10.0.0.0/129")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void prefixesAreBoundedByTheFamily() {
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("0 to 32");
        assertThatThrownBy(() -> Cidr.parse("fd00::/129")).hasMessageContaining("0 to 128");
        assertThatThrownBy(() -> Cidr.parse("example.com")).hasMessageContaining("bad address");
    }
}
