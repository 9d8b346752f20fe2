package io.sluice.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.Addresses;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Where an endpoint connects: IP addresses parsed once (no lookup, ever), names left for the resolver. */
class EndpointAddressTest {

    private static Endpoint endpoint(String address) {
        return new Endpoint(Addresses.endpoint(address, 1), 0);
    }

    @Test
    void ipAddressesAreResolvedAlreadySoConnectsSkipTheResolver() {
        InetSocketAddress v4 = endpoint("127.0.0.1:9001").socketAddress();
        assertThat(v4.isUnresolved()).isFalse();
        assertThat(v4.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(v4.getPort()).isEqualTo(9001);

        InetSocketAddress v6 = endpoint("https://[::1]:8443").socketAddress();
        assertThat(v6.isUnresolved()).isFalse();
        assertThat(v6.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(v6.getAddress().isLoopbackAddress()).isTrue();
        assertThat(v6.getPort()).isEqualTo(8443);

        assertThat(endpoint("[fe80::1%1]:80").socketAddress().isUnresolved()).isFalse();
    }

    @Test
    void namesStayUnresolvedUntilAConnectionOpens() {
        Endpoint e = endpoint("http://backend.invalid");
        assertThat(e.socketAddress().isUnresolved()).isTrue();
        assertThat(e.socketAddress().getHostString()).isEqualTo("backend.invalid");
        assertThat(e.socketAddress().getPort()).isEqualTo(80);
        assertThat(e.host()).isEqualTo("backend.invalid");
        // a name that looks like a short IPv4 form is still a name to the resolver, never to the JDK
        assertThat(endpoint("10.1:80").socketAddress().isUnresolved()).isTrue();
    }

    @Test
    void theTlsPeerNameIsTheHostAsWritten() {
        assertThat(endpoint("https://[::1]:8443").host()).isEqualTo("::1");
        assertThat(endpoint("https://api.example").host()).isEqualTo("api.example");
    }
}
