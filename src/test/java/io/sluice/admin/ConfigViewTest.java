package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** {@code /api/config} from the file: its own keys, as written, without a secret (issues 9 item 8 and 11). */
class ConfigViewTest {
    private static final String YAML = """
            server: { shutdown_timeout: 10s }
            listeners:
              - name: main
                address: 127.0.0.1:8080
                tls: { certificates: [ { cert: certs/site.crt, key: certs/site.key } ] }
                routes:
                  - match: { path_prefix: /api/, headers: { X-Api-Key: match-secret } }
                    request_headers: { set: { X-Upstream-Auth: "Bearer set-secret" }, remove: [X-Debug] }
                    response_headers: { set: { X-Served-By: sluice } }
                    upstream: api
                  - match: { path_prefix: /env/ }
                    respond: { status: 200, body: "hello ${GREETING} and ${UNSET:-a default}" }
            upstreams:
              api:
                balancer: round_robin
                endpoints:
                  - { address: "https://user:url-secret@backend.internal:8443", weight: 5 }
            admin: { address: 127.0.0.1:9901, token: plain-secret, token_file: /etc/sluice/token }
            tracing: { otlp_endpoint: "http://collector:tok3n@127.0.0.1:4318/v1/traces?x=@y" }
            """;

    @Test
    void theFilesOwnKeysWithoutSecrets() {
        JsonNode c = ConfigView.of(YAML);
        String text = c.toString();
        assertThat(text).doesNotContain("match-secret", "set-secret", "url-secret", "tok3n", "plain-secret",
                "a default");
        JsonNode listener = c.get("listeners").get(0);
        assertThat(listener.get("address").asText()).isEqualTo("127.0.0.1:8080");
        assertThat(c.get("server").get("shutdown_timeout").asText()).isEqualTo("10s"); // as written
        assertThat(listener.get("tls").get("certificates").get(0).get("key").asText()).isEqualTo("certs/site.key");
        JsonNode route = listener.get("routes").get(0);
        assertThat(route.get("match").get("headers").get("X-Api-Key").asText()).isEqualTo("[redacted]");
        assertThat(route.get("request_headers").get("set").get("X-Upstream-Auth").asText()).isEqualTo("[redacted]");
        assertThat(route.get("request_headers").get("remove").get(0).asText()).isEqualTo("X-Debug");
        assertThat(route.get("upstream").asText()).isEqualTo("api");
        assertThat(listener.get("routes").get(1).get("respond").get("body").asText())
                .isEqualTo("[redacted] (from ${GREETING}, ${UNSET})");
        JsonNode endpoint = c.get("upstreams").get("api").get("endpoints").get(0);
        assertThat(endpoint.get("address").asText()).isEqualTo("https://[redacted]@backend.internal:8443");
        assertThat(endpoint.get("weight").asInt()).isEqualTo(5);
        assertThat(c.get("admin").get("token").asText()).isEqualTo("[redacted]");
        assertThat(c.get("admin").get("token_file").asText()).isEqualTo("/etc/sluice/token");
        assertThat(c.get("tracing").get("otlp_endpoint").asText())
                .isEqualTo("http://[redacted]@127.0.0.1:4318/v1/traces?x=@y");
    }
}
