package io.sluice.config;

import static io.sluice.config.ConfigLoaderTest.errors;
import static io.sluice.config.ConfigLoaderTest.parse;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The failure-handling keys: health_check type/host, passive on_status, retry budget/max_body, panic_threshold. */
class HealthConfigTest {
    private static final String HEAD = """
            listeners:
              - { name: main, address: 127.0.0.1:0, routes: [ { upstream: web } ] }
            upstreams:
              web:
                endpoints: [ { address: 127.0.0.1:9001 } ]
            """;

    @Test
    void theNewKeysParse() throws Exception {
        UpstreamConfig u = parse(HEAD + """
                    slow_start: 30s
                    panic_threshold: 50%
                    health_check: { type: http, path: /healthz, host: api.internal }
                    passive: { max_failures: 2, fail_timeout: 5s, on_status: [500, 503] }
                    retry: { on: [connect_failure], max_body: 1MiB, budget: 10%, min_retries_per_second: 3 }
                """).upstreams().get("web");
        assertThat(u.slowStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(u.panicThreshold()).isEqualTo(0.5);
        assertThat(u.healthCheck().type()).isEqualTo("http");
        assertThat(u.healthCheck().host()).isEqualTo("api.internal");
        assertThat(u.passive().onStatus()).isEqualTo(Set.of(500, 503));
        assertThat(u.retry().maxBody()).isEqualTo(1 << 20);
        assertThat(u.retry().budget()).isEqualTo(0.1);
        assertThat(u.retry().minRetriesPerSecond()).isEqualTo(3);
    }

    @Test
    void defaults() throws Exception {
        UpstreamConfig u = parse(HEAD + """
                    health_check: {}
                    passive: {}
                    retry: {}
                """).upstreams().get("web");
        assertThat(u.panicThreshold()).isZero();
        assertThat(u.healthCheck().type()).isEqualTo("http");
        assertThat(u.healthCheck().host()).isNull();
        assertThat(u.passive().onStatus()).isEmpty();
        assertThat(u.retry().maxBody()).isEqualTo(64 * 1024);
        assertThat(u.retry().budget()).isEqualTo(0.2);
        assertThat(u.retry().minRetriesPerSecond()).isEqualTo(10);
    }

    @Test
    void badValuesPointAtTheValueWithAHint() {
        assertThat(errors(HEAD + """
                    panic_threshold: 150%
                    health_check: { type: tpc, path: /x }
                    passive: { on_status: [600] }
                    retry: { budget: 20, max_body: 10 }
                """)).containsExactly(
                "test.yaml:6:22: bad panic_threshold '150%' (expected a percentage from 0% to 100%, e.g. 20%)",
                "test.yaml:7:27: unknown health_check type 'tpc' (did you mean 'tcp'?)",
                "test.yaml:8:28: bad on_status '600' (expected a status code from 100 to 599, e.g. 503)",
                "test.yaml:9:22: bad budget '20' (expected a percentage from 0% to 100%, e.g. 20%)",
                "test.yaml:9:36: bad size '10' (" + Sizes.EXPECTED + "; add a unit, e.g. 10B)");
    }

    @Test
    void httpOnlyKeysAreErrorsOnTcpChecks() {
        assertThat(errors(HEAD + """
                    health_check: { type: tcp, path: /x }
                """)).containsExactly("test.yaml:6:32: 'path' is only for health_check type http (this check is tcp)");
    }
}
