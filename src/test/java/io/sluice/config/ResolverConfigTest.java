package io.sluice.config;

import static io.sluice.config.ConfigLoaderTest.MINIMAL;
import static io.sluice.config.ConfigLoaderTest.errors;
import static io.sluice.config.ConfigLoaderTest.parse;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code server.resolver:} block, and endpoint names staying unresolved when a file is checked. */
class ResolverConfigTest {

    @Test
    void absentMeansTheSystemsSettings() throws Exception {
        assertThat(parse(MINIMAL).server().resolver()).isEqualTo(ResolverConfig.DEFAULTS);
        assertThat(parse("server: { resolver: {} }\n" + MINIMAL).server().resolver())
                .isEqualTo(ResolverConfig.DEFAULTS);
    }

    @Test
    void allKeys() throws Exception {
        ResolverConfig r = parse("""
                server:
                  resolver:
                    nameservers: [ "10.0.0.2:53", 10.0.0.3, "[fd00::2]", "[fd00::3]:5353" ]
                    cache_max_ttl: 1m
                    query_timeout: 1500ms
                """ + MINIMAL).server().resolver();
        assertThat(r).isEqualTo(new ResolverConfig(List.of(new HostPort("10.0.0.2", 53), new HostPort("10.0.0.3", 53),
                new HostPort("fd00::2", 53), new HostPort("fd00::3", 5353)), Duration.ofMinutes(1),
                Duration.ofMillis(1500)));
        assertThat(parse("server: { resolver: { cache_max_ttl: 0 } }\n" + MINIMAL).server().resolver().cacheMaxTtl())
                .isEqualTo(Duration.ZERO);
    }

    @Test
    void errorsPointAtTheValue() {
        assertThat(errors("""
                server:
                  resolver:
                    nameservers: [ dns.internal, "fd00::2", "10.0.0.2:0", "10.0.0.2:99999" ]
                    cache_max_ttl: 1500ms
                    query_timeout: 0s
                    nameserver: []
                """ + MINIMAL)).containsExactly(
                "test.yaml:3:20: bad nameserver 'dns.internal' (expected an IP address with an optional port,"
                        + " e.g. 10.0.0.2:53 or [fd00::2]; a name server is given by address, not by name)",
                "test.yaml:3:34: bad address 'fd00::2' (put IPv6 addresses in brackets, e.g. [::1]:8080)",
                "test.yaml:3:45: bad nameserver '10.0.0.2:0' (port must be 1 to 65535)",
                "test.yaml:3:59: bad address '10.0.0.2:99999' (port must be 0 to 65535)",
                "test.yaml:4:20: cache_max_ttl 1500ms is not a whole number of seconds"
                        + " (DNS TTLs are in seconds; e.g. 60s, or 0 to keep nothing)",
                "test.yaml:5:20: query_timeout 0 out of range (expected more than 0, e.g. 1s)",
                "test.yaml:6:5: unknown key 'nameserver' in resolver (did you mean 'nameservers'?)");
        assertThat(errors("server: { resolver: { nameservers: [], query_timeout: 2m } }\n" + MINIMAL)).containsExactly(
                "test.yaml:1:36: 'nameservers' is empty (expected at least one address, or leave the key out to use"
                        + " /etc/resolv.conf)",
                "test.yaml:1:55: query_timeout 2m out of range (expected more than 0 and at most 1m, e.g. 2s)");
        assertThat(errors("server: { resolver: [ 10.0.0.2 ] }\n" + MINIMAL)).hasSize(1);
    }

    @Test
    void endpointNamesAreNotLookedUpWhenAFileIsChecked() throws Exception {
        // `sluice check` is this load: a name that resolves nowhere (and a name server that does not exist)
        // is fine until a connection to the endpoint is opened
        SluiceConfig c = parse("""
                server: { resolver: { nameservers: [ "192.0.2.1" ] } }
                listeners: [ { address: 127.0.0.1:8080, routes: [ { upstream: web } ] } ]
                upstreams:
                  web:
                    endpoints: [ { address: "backend.invalid:80" }, { address: "https://api.invalid" } ]
                """);
        assertThat(c.upstreams().get("web").endpoints()).extracting(EndpointConfig::host)
                .containsExactly("backend.invalid", "api.invalid");
    }
}
