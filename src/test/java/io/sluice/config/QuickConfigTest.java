package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuickConfigTest {

    @Test
    void buildsOneListenerOneRouteOneUpstream() throws Exception {
        SluiceConfig c = QuickConfig.build("127.0.0.1:8080", List.of("http://127.0.0.1:9001", "127.0.0.1:9002"),
                "least_connections");

        assertThat(c.file()).isNull();
        assertThat(c.admin()).isNull();
        assertThat(c.server()).isEqualTo(ServerConfig.DEFAULTS);
        ListenerConfig l = c.listeners().get(0);
        assertThat(l.name()).isEqualTo("quick");
        assertThat(l.address()).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(l.protocol()).isEqualTo(Protocol.HTTP);
        assertThat(l.routes()).singleElement().satisfies(r -> {
            assertThat(r.match()).isEqualTo(MatchConfig.ANY);
            assertThat(r.upstream()).isEqualTo("quick");
        });
        UpstreamConfig u = c.upstreams().get("quick");
        assertThat(u.balancer()).isEqualTo("least_connections");
        assertThat(u.endpoints()).containsExactly(
                new EndpointConfig("http://127.0.0.1:9001", "127.0.0.1", 9001, false, 1),
                new EndpointConfig("127.0.0.1:9002", "127.0.0.1", 9002, false, 1));
        assertThat(u.healthCheck()).isNull();
        assertThat(u.retry()).isNull();
    }

    @Test
    void balancerDefaultsToRoundRobin() throws Exception {
        assertThat(QuickConfig.build("[::1]:0", List.of("https://example.com"), null)
                .upstreams().get("quick").balancer()).isEqualTo("round_robin");
    }

    @Test
    void consistentHashHashesOnTheSourceAddress() throws Exception {
        assertThat(QuickConfig.build("127.0.0.1:0", List.of("127.0.0.1:9001"), "consistent_hash")
                .upstreams().get("quick").hashOn()).isEqualTo("source_ip");
    }

    @Test
    void reportsEveryProblemAtTheCommandLine() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> QuickConfig.build("8080",
                List.of("ftp://x:1", "127.0.0.1:9001", "127.0.0.1:9001"), "round_robbin"));

        assertThat(e.errors().stream().map(ConfigError::toString)).containsExactly(
                "<command line>:1:1: --from: bad address '8080' (expected host:port, e.g. 0.0.0.0:8080 or [::1]:8080)",
                "<command line>:1:1: --to: bad address 'ftp://x:1' (unknown scheme 'ftp'; expected http or https)",
                "<command line>:1:1: --to: endpoint '127.0.0.1:9001' is given twice",
                "<command line>:1:1: --balancer: unknown balancer 'round_robbin' (did you mean 'round_robin'?)");
    }

    @Test
    void missingArguments() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> QuickConfig.build(null, List.of(), null));

        assertThat(e.errors()).extracting(ConfigError::message).containsExactly(
                "missing --from (expected host:port, e.g. 127.0.0.1:8080)",
                "missing --to (expected at least one, e.g. --to http://127.0.0.1:9001)");
    }
}
