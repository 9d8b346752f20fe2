package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code /api/config} shows the configuration without its secrets (issue 9, item 8). */
class ConfigRedactionTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:8080
                routes:
                  - match: { path_prefix: /api/, headers: { X-Api-Key: match-secret } }
                    request_headers: { set: { X-Upstream-Auth: "Bearer set-secret" }, remove: [X-Debug] }
                    response_headers: { set: { X-Served-By: sluice } }
                    upstream: api
                  - match: { path_prefix: /env/ }
                    respond: { status: 200, body: "hello ${GREETING} and ${UNSET:-a default}" }
            upstreams:
              api:
                endpoints:
                  - { address: "https://backend.internal:8443" }
                  - { address: "https://${BACKEND_HOST}" }
            tracing: { otlp_endpoint: "http://collector:tok3n@127.0.0.1:4318/v1/traces?x=@y" }
            """;

    private static JsonNode config() throws Exception {
        SluiceConfig c = ConfigLoader.parse(YAML, Path.of("sluice.yaml"),
                Map.of("GREETING", "env-secret", "BACKEND_HOST", "hidden.internal"));
        return ApiDocuments.config(new AdminApi(null, List::of, () -> c, 0));
    }

    @Test
    void headerValuesTheConfigurationSetsOrMatchesAreRedactedButTheirNamesShown() throws Exception {
        JsonNode route = config().get("listeners").get(0).get("routes").get(0);
        assertThat(route.get("match").get("headers").get("X-Api-Key").asText()).isEqualTo("[redacted]");
        assertThat(route.get("request_headers").get("set").get("X-Upstream-Auth").asText()).isEqualTo("[redacted]");
        assertThat(route.get("response_headers").get("set").get("X-Served-By").asText()).isEqualTo("[redacted]");
        assertThat(route.get("request_headers").get("remove").get(0).asText()).isEqualTo("X-Debug");
        assertThat(route.get("match").get("path_prefix").asText()).isEqualTo("/api/");
    }

    @Test
    void valuesFromTheEnvironmentAndPasswordsInUrlsAreRedacted() throws Exception {
        JsonNode config = config();
        String text = config.toString();
        assertThat(text).doesNotContain("match-secret", "set-secret", "env-secret", "hidden.internal", "url-secret",
                "tok3n", "\"expanded\"");
        JsonNode respond = config.get("listeners").get(0).get("routes").get(1).get("respond");
        assertThat(respond.get("body").asText()).isEqualTo("[redacted]");
        assertThat(config.get("tracing").get("otlp_endpoint").asText())
                .isEqualTo("http://[redacted]@127.0.0.1:4318/v1/traces?x=@y");
        assertThat(text).contains("backend.internal"); // the host of a URL stays readable
    }
}
