package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class ForwardingSmokeTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /api/ }
                    strip_prefix: /api
                    upstream: app
                  - respond: { status: 200, body: "local\\n" }
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
                  - { address: "${UP2}" }
            """;

    @Test
    void alternatesBetweenEndpointsAndForwardsClientHeaders() throws Exception {
        try (TestUpstream a = TestUpstream.start("a"); TestUpstream b = TestUpstream.start("b");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(a, b))) {
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> first = client.send(HttpRequest.newBuilder(sluice.uri("main", "/api/x?q=1"))
                    .header("X-Request-ID", "abc-123").build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> second = client.send(HttpRequest.newBuilder(sluice.uri("main", "/api/x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(first.body()).isEqualTo("a\n");
            assertThat(second.body()).isEqualTo("b\n");
            assertThat(first.headers().firstValue("X-Request-ID")).contains("abc-123");
            assertThat(second.headers().firstValue("X-Request-ID").orElseThrow()).matches("[0-9a-f]{32}");
            TestUpstream.Received got = a.next();
            assertThat(got.uri()).isEqualTo("/x?q=1");
            assertThat(got.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
            assertThat(got.header("X-Real-IP")).isEqualTo("127.0.0.1");
            assertThat(got.header("X-Forwarded-Proto")).isEqualTo("http");
            assertThat(got.header("X-Request-ID")).isEqualTo("abc-123");
            HttpResponse<String> local = client.send(HttpRequest.newBuilder(sluice.uri("main", "/other")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(local.body()).isEqualTo("local\n");
        }
    }
}
