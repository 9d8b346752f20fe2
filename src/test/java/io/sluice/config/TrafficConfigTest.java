package io.sluice.config;

import static io.sluice.config.ConfigLoaderTest.errors;
import static io.sluice.config.ConfigLoaderTest.parse;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The traffic keys of the gateway contract: match.cookies/query, endpoint base paths, split, mirror, breaker, sticky. */
class TrafficConfigTest {
    private static final String LISTENER = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
            """;

    @Test
    void matchCookiesAndQueryParse() throws Exception {
        SluiceConfig c = parse(LISTENER + """
                      - match: { cookies: { beta: "1", user: abc }, query: { v: "two words", x: "" } }
                        respond: {}
                """);
        MatchConfig m = c.listeners().get(0).routes().get(0).match();
        assertThat(m.cookies()).containsExactly(Map.entry("beta", "1"), Map.entry("user", "abc"));
        assertThat(m.query()).containsExactly(Map.entry("v", "two words"), Map.entry("x", ""));
    }

    @Test
    void badCookieNamesAndValuesAreErrorsAtThePlace() {
        assertThat(errors(LISTENER + """
                      - match: { cookies: { "be ta": "1", ok: "a;b" }, query: [a] }
                        respond: {}
                """)).containsExactly(
                "test.yaml:5:29: bad cookie name 'be ta' (expected a token: letters, digits and !#$%&'*+.^_`|~-)",
                "test.yaml:5:47: bad cookie value 'a;b' (no spaces, quotes, commas, semicolons, backslashes or control characters)",
                "test.yaml:5:63: 'query' must be a mapping, not a list");
    }

    @Test
    void endpointAddressesMayCarryABasePath() throws Exception {
        SluiceConfig c = parse(LISTENER + """
                      - upstream: web
                upstreams:
                  web:
                    endpoints:
                      - address: http://127.0.0.1:9001/base
                      - address: https://api.example.com/v2/
                      - address: http://127.0.0.1:9003/
                      - address: 127.0.0.1:9004
                """);
        var eps = c.upstreams().get("web").endpoints();
        assertThat(eps.get(0)).isEqualTo(new EndpointConfig("http://127.0.0.1:9001/base", "127.0.0.1", 9001, false, 1,
                "/base"));
        assertThat(eps.get(1).basePath()).isEqualTo("/v2/");
        assertThat(eps.get(1).port()).isEqualTo(443);
        assertThat(eps.get(2).basePath()).isEmpty();
        assertThat(eps.get(3).basePath()).isEmpty();
    }

    @Test
    void anEndpointAddressWithAQueryOrABadPathIsAnError() {
        assertThat(errors(LISTENER + """
                      - upstream: web
                upstreams:
                  web:
                    endpoints:
                      - address: http://127.0.0.1:9001/base?x=1
                      - address: "http://127.0.0.1:9002/a b"
                """)).containsExactly(
                "test.yaml:9:18: bad address 'http://127.0.0.1:9001/base?x=1' (an endpoint address has no query or"
                        + " fragment; expected scheme://host[:port][/path])",
                "test.yaml:10:18: bad address 'http://127.0.0.1:9002/a b' (bad character in the path '/a b'; use"
                        + " percent-encoding)");
    }
}
