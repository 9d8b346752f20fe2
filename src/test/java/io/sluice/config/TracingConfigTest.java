package io.sluice.config;

import static io.sluice.config.ConfigLoaderTest.MINIMAL;
import static io.sluice.config.ConfigLoaderTest.errors;
import static io.sluice.config.ConfigLoaderTest.parse;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The {@code tracing:} block: defaults, the OTLP export keys, and their errors. */
class TracingConfigTest {

    @Test
    void exportIsOffUnlessAnEndpointIsGiven() throws Exception {
        TracingConfig absent = parse(MINIMAL).tracing();
        assertThat(absent).isEqualTo(TracingConfig.DEFAULTS);
        assertThat(absent.enabled()).isTrue();
        assertThat(absent.exporting()).isFalse();
        assertThat(parse(MINIMAL + "tracing: { sample_ratio: 0.5 }\n").tracing().exporting()).isFalse();
        assertThat(parse(MINIMAL + "tracing: { enabled: false, otlp_endpoint: http://127.0.0.1:4318/v1/traces }\n")
                .tracing().exporting()).isFalse();
    }

    @Test
    void allKeys() throws Exception {
        TracingConfig t = parse(MINIMAL + """
                tracing:
                  enabled: true
                  otlp_endpoint: http://127.0.0.1:4318/v1/traces
                  service_name: edge
                  sample_ratio: 0.25
                  export_timeout: 2s
                  queue_size: 4096
                """).tracing();
        assertThat(t).isEqualTo(new TracingConfig(true, "http://127.0.0.1:4318/v1/traces", "edge", 0.25,
                Duration.ofSeconds(2), 4096));
        assertThat(t.exporting()).isTrue();
        TracingConfig defaults = parse(MINIMAL + "tracing: { otlp_endpoint: https://collector:4318/v1/traces }\n").tracing();
        assertThat(defaults).isEqualTo(new TracingConfig(true, "https://collector:4318/v1/traces", "sluice", 1.0,
                Duration.ofSeconds(5), 2048));
    }

    @Test
    void errorsPointAtTheValue() {
        assertThat(errors(MINIMAL + """
                tracing:
                  otlp_endpint: http://127.0.0.1:4318/v1/traces
                  service_name: ""
                  sample_ratio: 1.5
                  export_timeout: 0s
                  queue_size: 3
                """)).containsExactly(
                "test.yaml:10:3: unknown key 'otlp_endpint' in tracing (did you mean 'otlp_endpoint'?)",
                "test.yaml:11:17: 'service_name' must not be empty",
                "test.yaml:12:17: sample_ratio '1.5' out of range (expected a number from 0 to 1, e.g. 0.1)",
                "test.yaml:13:19: export_timeout 0 out of range (expected more than 0, e.g. 1s)",
                "test.yaml:14:15: queue_size 3 out of range (expected a whole number from 16 to 1048576)");
        assertThat(errors(MINIMAL + "tracing: { otlp_endpoint: 127.0.0.1:4318 }\n")).containsExactly(
                "test.yaml:9:27: bad otlp_endpoint '127.0.0.1:4318' (expected an http or https URL, e.g. http://127.0.0.1:4318/v1/traces)");
        assertThat(errors(MINIMAL + "tracing: { otlp_endpoint: \"http://a b/\" }\n")).containsExactly(
                "test.yaml:9:27: bad otlp_endpoint 'http://a b/' (expected an http or https URL, e.g. http://127.0.0.1:4318/v1/traces)");
        assertThat(errors(MINIMAL + "tracing: { sample_ratio: lots }\n")).containsExactly(
                "test.yaml:9:26: sample_ratio 'lots' out of range (expected a number from 0 to 1, e.g. 0.1)");
    }
}
