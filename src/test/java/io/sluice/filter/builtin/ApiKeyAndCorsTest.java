package io.sluice.filter.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.api.Reply;
import io.sluice.filter.testkit.FilterTester;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** api_key and cors through the test kit: no sockets, Sluice's own chain runner. */
class ApiKeyAndCorsTest {
    @TempDir
    Path dir;

    private String keys() throws Exception {
        Path file = dir.resolve("keys.txt");
        Files.writeString(file, "# partners\nk-alpha\n\n  k-beta  \n");
        return file.toString();
    }

    @Test
    void apiKeyInAHeaderLetsKnownKeysThroughAndTakesTheKeyOut() throws Exception {
        try (FilterTester t = FilterTester.of(new ApiKey(), "{ keys_file: '" + keys() + "' }")) {
            FilterTester.Outcome ok = t.request("GET", "/x").header("X-API-Key", "k-beta").send();
            assertThat(ok.passed()).isTrue();
            assertThat(ok.requestHeaders()).doesNotContainKey("X-API-Key").doesNotContainKey("x-api-key");
            assertThat(t.request("GET", "/x").header("X-API-Key", "k-gamma").send().reply().status()).isEqualTo(401);
            assertThat(t.request("GET", "/x").header("X-API-Key", "k-bet").send().reply().status()).isEqualTo(401);
            assertThat(t.request("GET", "/x").header("X-API-Key", "# partners").send().reply().status()).isEqualTo(401);
            Reply missing = t.request("GET", "/x").send().reply();
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.detail()).isEqualTo("an API key is required");
        }
    }

    @Test
    void apiKeyInTheQueryIsTakenOutOfTheForwardedTarget() throws Exception {
        try (FilterTester t = FilterTester.of(new ApiKey(), "{ query: key, keys_file: '" + keys() + "' }")) {
            FilterTester.Outcome ok = t.request("GET", "/x?a=1&key=k-alpha&b=2").send();
            assertThat(ok.passed()).isTrue();
            assertThat(ok.uri()).isEqualTo("/x?a=1&b=2");
            FilterTester.Outcome only = t.request("GET", "/x?key=k-alpha").send();
            assertThat(only.uri()).isEqualTo("/x");
            assertThat(t.request("GET", "/x?key=nope").send().reply().status()).isEqualTo(401);
            assertThat(t.request("GET", "/x").header("X-API-Key", "k-alpha").send().reply().status()).isEqualTo(401);
        }
    }

    @Test
    void apiKeySettingsAreChecked() throws Exception {
        assertThat(FilterTester.errors(new ApiKey(), "{}")).containsExactly("1:1: missing key 'keys_file' in api_key");
        assertThat(FilterTester.errors(new ApiKey(), "{ keys_file: '" + dir.resolve("none.txt") + "' }")).hasSize(1)
                .first().asString().contains("cannot read keys file");
        Files.writeString(dir.resolve("empty.txt"), "# nothing\n");
        assertThat(FilterTester.errors(new ApiKey(), "{ keys_file: '" + dir.resolve("empty.txt") + "' }")).hasSize(1)
                .first().asString().contains("holds no key");
        assertThat(FilterTester.errors(new ApiKey(), "{ header: X-Key, query: key, keys_file: '" + keys() + "' }"))
                .hasSize(1).first().asString().contains("exclude each other");
    }

    @Test
    void corsAnswersAnAllowedPreflightItself() throws Exception {
        try (FilterTester t = FilterTester.of(new Cors(),
                "{ allow_origins: ['https://app.example.com'], allow_credentials: true, max_age: 1h }")) {
            FilterTester.Outcome preflight = t.request("OPTIONS", "/api").header("Origin", "https://app.example.com")
                    .header("Access-Control-Request-Method", "PUT")
                    .header("Access-Control-Request-Headers", "content-type, x-trace").send();
            Reply r = preflight.reply();
            assertThat(r.status()).isEqualTo(204);
            Map<String, String> h = headers(r);
            assertThat(h).containsEntry("Access-Control-Allow-Origin", "https://app.example.com")
                    .containsEntry("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE")
                    .containsEntry("Access-Control-Allow-Headers", "content-type, x-trace")
                    .containsEntry("Access-Control-Allow-Credentials", "true")
                    .containsEntry("Access-Control-Max-Age", "3600");

            // from an origin not allowed: nothing of CORS, and the request goes on as any OPTIONS would
            FilterTester.Outcome other = t.request("OPTIONS", "/api").header("Origin", "https://evil.example")
                    .header("Access-Control-Request-Method", "PUT").send();
            assertThat(other.passed()).isTrue();
            assertThat(other.respond(200)).doesNotContainKey("Access-Control-Allow-Origin");
        }
    }

    @Test
    void corsMarksResponsesToAllowedOrigins() throws Exception {
        try (FilterTester t = FilterTester.of(new Cors(),
                "{ allow_origins: ['https://app.example.com', 'http://localhost:3000'], expose_headers: [X-Total] }")) {
            FilterTester.Outcome get = t.request("GET", "/api").header("Origin", "https://APP.example.com").send();
            assertThat(get.passed()).isTrue();
            Map<String, List<String>> out = get.respond(200);
            assertThat(out.get("Access-Control-Allow-Origin")).containsExactly("https://APP.example.com");
            assertThat(out.get("Access-Control-Expose-Headers")).containsExactly("X-Total");
            assertThat(out.get("Vary")).containsExactly("Origin");
            assertThat(out).doesNotContainKey("Access-Control-Allow-Credentials");

            assertThat(t.request("GET", "/api").header("Origin", "http://localhost:3000").send().respond(200))
                    .containsKey("Access-Control-Allow-Origin");
            assertThat(t.request("GET", "/api").header("Origin", "http://localhost:3001").send().respond(200))
                    .doesNotContainKey("Access-Control-Allow-Origin");
            assertThat(t.request("GET", "/api").send().respond(200)).doesNotContainKey("Access-Control-Allow-Origin");
        }
        try (FilterTester t = FilterTester.of(new Cors(), "{ allow_origins: ['*'] }")) {
            assertThat(t.request("GET", "/").header("Origin", "https://any.example").send().respond(200)
                    .get("Access-Control-Allow-Origin")).containsExactly("*");
        }
    }

    @Test
    void corsSettingsAreChecked() {
        assertThat(FilterTester.errors(new Cors(), "{}")).containsExactly("1:1: missing key 'allow_origins' in cors");
        assertThat(FilterTester.errors(new Cors(), "{ allow_origins: ['https://a.example/path'] }")).hasSize(1)
                .first().asString().contains("bad origin 'https://a.example/path'");
        assertThat(FilterTester.errors(new Cors(), "{ allow_origins: [] }")).hasSize(1)
                .first().asString().contains("'allow_origins' is empty");
        assertThat(FilterTester.errors(new Cors(), "{ allow_origins: ['*'], allow_methods: ['GE T'] }")).hasSize(1)
                .first().asString().contains("bad method 'GE T'");
    }

    @Test
    void corsRefusesAnyOriginWithCredentials() {
        // before: accepted, and every origin was echoed with Access-Control-Allow-Credentials: true
        assertThat(FilterTester.errors(new Cors(), """
                allow_origins: ["*"]
                allow_credentials: true
                """)).containsExactly("1:16: '*' cannot go with 'allow_credentials: true': list the origins that may"
                + " send credentials, e.g. [\"https://app.example.com\"]");
        assertThat(FilterTester.errors(new Cors(), "{ allow_origins: ['*'], allow_credentials: false }")).isEmpty();
    }

    private static Map<String, String> headers(Reply r) {
        return r.headers().stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a));
    }
}
