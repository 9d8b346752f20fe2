package io.sluice.config;

import static io.sluice.config.ConfigLoaderTest.errors;
import static io.sluice.config.ConfigLoaderTest.parse;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** proxy_protocol, proxy_protocol_from, send_proxy_protocol and forward_proxy: parsed, and bad values placed. */
class Layer4ConfigTest {

    @Test
    void proxyProtocolKeysParse() throws Exception {
        SluiceConfig c = parse("""
                listeners:
                  - name: lb
                    address: 127.0.0.1:8080
                    proxy_protocol: true
                    proxy_protocol_from: [10.0.0.0/8, "::1", 192.0.2.7]
                    routes: [ { upstream: app } ]
                upstreams:
                  app:
                    send_proxy_protocol: v2
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                """);
        ListenerConfig l = c.listeners().get(0);
        assertThat(l.proxyProtocol()).isTrue();
        assertThat(l.proxyProtocolFrom()).hasSize(3);
        assertThat(l.proxyProtocolFrom().get(0).contains(InetAddress.getByName("10.9.8.7"))).isTrue();
        assertThat(l.proxyProtocolFrom().get(0).contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(l.proxyProtocolFrom().get(1).contains(InetAddress.getByName("::1"))).isTrue();
        assertThat(c.upstreams().get("app").sendProxyProtocol()).isEqualTo(UpstreamConfig.SendProxyProtocol.V2);
    }

    @Test
    void badProxyProtocolValuesArePlaced() {
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:8080
                    proxy_protocol: yes
                    proxy_protocol_from: [10.0.0.0/33, localhost]
                    routes: [ { upstream: app } ]
                upstreams:
                  app:
                    send_proxy_protocol: v3
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                  h2:
                    protocol: h2c
                    send_proxy_protocol: v1
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                """)).containsExactlyInAnyOrder(
                "test.yaml:8:26: bad send_proxy_protocol 'v3' (did you mean 'v1'?)",
                "test.yaml:12:26: send_proxy_protocol needs protocol http1 (an h2 connection carries the requests"
                        + " of many clients, and a PROXY header names one)",
                "test.yaml:3:21: bad boolean 'yes' (expected true or false)",
                "test.yaml:4:27: bad prefix length in '10.0.0.0/33' (expected 0 to 32)",
                "test.yaml:4:40: bad address or CIDR 'localhost' (expected an IP address or a block such as"
                        + " 10.0.0.0/8 or fd00::/8)",
                "test.yaml:4:5: 'proxy_protocol_from' needs 'proxy_protocol: true'");
    }

    @Test
    void forwardProxyParses() throws Exception {
        SluiceConfig c = parse("""
                listeners:
                  - name: egress
                    address: 127.0.0.1:3128
                    forward_proxy:
                      allow: ["*.example.com:443", "10.1.0.0/16", "127.0.0.1:8443", "[::1]:80", "fd00::/8", "Example.org"]
                      deny: ["bad.example.com"]
                """);
        ForwardProxyConfig f = c.listeners().get(0).forwardProxy();
        assertThat(f.allow()).extracting(ForwardProxyConfig.Rule::name)
                .containsExactly("*.example.com", null, null, null, null, "example.org");
        assertThat(f.allow()).extracting(ForwardProxyConfig.Rule::port).containsExactly(443, 0, 8443, 80, 0, 0);
        assertThat(f.deny()).hasSize(1);
    }

    @Test
    void badForwardProxyRulesArePlaced() {
        assertThat(errors("""
                listeners:
                  - name: egress
                    address: 127.0.0.1:3128
                    forward_proxy:
                      allow: ["2130706433", "0177.0.0.1", "a b", "x.com:99999"]
                    routes: [ { respond: {} } ]
                  - name: tls
                    address: 127.0.0.1:3129
                    protocol: tcp
                    upstream: none
                    forward_proxy: { allow: [] }
                  - name: empty
                    address: 127.0.0.1:3130
                    forward_proxy: {}
                """)).containsExactly(
                "test.yaml:5:15: bad forward_proxy rule '2130706433' ('2130706433' is not an IPv4 address in dotted"
                        + " decimal (a.b.c.d); " + ForwardProxyBinder.RULE_EXPECTED + ")",
                "test.yaml:5:29: bad forward_proxy rule '0177.0.0.1' ('0177.0.0.1' is not an IPv4 address in dotted"
                        + " decimal (a.b.c.d); " + ForwardProxyBinder.RULE_EXPECTED + ")",
                "test.yaml:5:43: bad forward_proxy rule 'a b' (" + ForwardProxyBinder.RULE_EXPECTED + ")",
                "test.yaml:5:50: bad port in 'x.com:99999' (expected 1 to 65535)",
                "test.yaml:6:5: a listener with 'forward_proxy' has no 'routes' (http listener 'egress' forwards to"
                        + " the destinations its clients name)",
                "test.yaml:10:15: listener 'tls' refers to unknown upstream 'none' (there are no upstreams)",
                "test.yaml:11:5: 'forward_proxy' is only for http listeners (tcp listener 'tls')",
                "test.yaml:14:20: missing key 'allow' in forward_proxy (the destinations clients may reach;"
                        + " nothing is allowed by default)");
    }
}
