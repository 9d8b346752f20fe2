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

    private static final String UPSTREAM = LISTENER + """
                  - upstream: web
            upstreams:
              web:
                endpoints: [ { address: 127.0.0.1:9001 } ]
            """;

    @Test
    void circuitBreakerDefaultsAndValues() throws Exception {
        assertThat(parse(UPSTREAM + "    circuit_breaker: {}\n").upstreams().get("web").policies().circuitBreaker())
                .isEqualTo(CircuitBreakerConfig.DEFAULTS);
        CircuitBreakerConfig c = parse(UPSTREAM + """
                    circuit_breaker: { failure_ratio: 25%, min_requests: 5, window: 30s, open_for: 1m,
                                       half_open_requests: 3, on: [timeout, 502, 503] }
                """).upstreams().get("web").policies().circuitBreaker();
        assertThat(c.failureRatio()).isEqualTo(0.25);
        assertThat(c.minRequests()).isEqualTo(5);
        assertThat(c.window()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(c.openFor()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(c.halfOpenRequests()).isEqualTo(3);
        assertThat(c.on()).containsExactly("timeout");
        assertThat(c.any5xx()).isFalse();
        assertThat(c.failureStatus(502)).isTrue();
        assertThat(c.failureStatus(500)).isFalse();
        assertThat(parse(UPSTREAM).upstreams().get("web").policies().circuitBreaker()).isNull();
    }

    @Test
    void badCircuitBreakerValuesAreErrorsWithHints() {
        assertThat(errors(UPSTREAM + """
                    circuit_breaker: { failure_ratio: 150%, min_requests: 0, window: 0s, half_open_requests: x,
                                       on: [conect_failure, 5xx, 700], open_fr: 1s }
                """)).containsExactly(
                "test.yaml:9:39: bad failure_ratio '150%' (expected a percentage from 0% to 100%, e.g. 20%)",
                "test.yaml:9:59: min_requests 0 out of range (expected a whole number from 1 to 1000000)",
                "test.yaml:9:70: window 0 out of range (expected more than 0, e.g. 1s)",
                "test.yaml:9:94: bad integer 'x' for 'half_open_requests' (expected a whole number from 1 to 1000)",
                "test.yaml:10:29: unknown circuit_breaker condition 'conect_failure' (did you mean 'connect_failure'?)",
                "test.yaml:10:50: bad status 700 (expected a status code from 100 to 599)",
                "test.yaml:10:56: unknown key 'open_fr' in circuit_breaker (did you mean 'open_for'?)");
    }

    @Test
    void stickyModesParse() throws Exception {
        StickyConfig insert = parse(UPSTREAM + "    sticky: { cookie: SLUICE_ROUTE, ttl: 1h }\n")
                .upstreams().get("web").policies().sticky();
        assertThat(insert).isEqualTo(new StickyConfig("SLUICE_ROUTE", null, "local", java.time.Duration.ofHours(1)));
        assertThat(parse(UPSTREAM + "    sticky: { cookie: S }\n").upstreams().get("web").policies().sticky().ttl())
                .isNull();
        StickyConfig learn = parse(UPSTREAM + "    sticky: { learn: cookie:JSESSIONID, store: local }\n")
                .upstreams().get("web").policies().sticky();
        assertThat(learn).isEqualTo(new StickyConfig(null, "JSESSIONID", "local", StickyConfig.DEFAULT_LEARN_TTL));
        StickyConfig shared = parse(UPSTREAM + """
                    sticky: { learn: cookie:JSESSIONID, store: redis, ttl: 2h }
                redis: { address: redis://127.0.0.1:6379 }
                """).upstreams().get("web").policies().sticky();
        assertThat(shared).isEqualTo(new StickyConfig(null, "JSESSIONID", "redis", java.time.Duration.ofHours(2)));
    }

    @Test
    void stickyStoreRedisNeedsTheRedisBlockAndLearnMode() {
        assertThat(errors(UPSTREAM + "    sticky: { learn: cookie:JSESSIONID, store: redis }\n")).containsExactly(
                "test.yaml:9:48: sticky store 'redis' needs the top-level 'redis' block (redis: { address:"
                        + " redis://host:6379 }); or use store: local");
        assertThat(errors(UPSTREAM + """
                    sticky: { cookie: SLUICE_ROUTE, store: redis }
                redis: { address: redis://127.0.0.1:6379 }
                """)).containsExactly(
                "test.yaml:9:37: 'store' is only for learn mode (insert mode keeps the binding in the cookie)");
        assertThat(errors(UPSTREAM + "    sticky: { learn: cookie:JSESSIONID, store: redsi }\n")).containsExactly(
                "test.yaml:9:48: unknown sticky store 'redsi' (did you mean 'redis'?)");
    }

    @Test
    void badStickySettingsAreErrors() {
        assertThat(errors(UPSTREAM + "    sticky: { cookie: S, learn: cookie:J }\n")).containsExactly(
                "test.yaml:9:26: sticky needs exactly one of 'cookie' (insert mode: cookie: NAME) and 'learn'"
                        + " (learn: cookie:NAME)");
        assertThat(errors(UPSTREAM + "    sticky: { learn: header:X, ttl: 0s }\n")).containsExactly(
                "test.yaml:9:22: bad learn 'header:X' (expected cookie:NAME, e.g. cookie:JSESSIONID)",
                "test.yaml:9:37: ttl 0 out of range (expected more than 0, e.g. 1s)");
        assertThat(errors(UPSTREAM + "    sticky: { cookie: \"a b\", store: local }\n")).containsExactly(
                "test.yaml:9:23: bad cookie name 'a b' (expected a token, e.g. SLUICE_ROUTE)",
                "test.yaml:9:30: 'store' is only for learn mode (insert mode keeps the binding in the cookie)");
    }

    private static final String TWO_UPSTREAMS = """
            upstreams:
              v1: { endpoints: [ { address: 127.0.0.1:9001 } ] }
              v2: { endpoints: [ { address: 127.0.0.1:9002 } ] }
              shadow: { endpoints: [ { address: 127.0.0.1:9003 } ] }
            """;

    @Test
    void splitAndMirrorParse() throws Exception {
        RouteConfig r = parse(LISTENER + """
                      - split: [ { upstream: v2, weight: 1 }, { upstream: v1, weight: 9 } ]
                        split_on: cookie:user
                        mirror: { upstream: shadow, percent: 10% }
                      - upstream: v1
                        mirror: { upstream: shadow, max_body: 1MiB, max_in_flight: 8 }
                """ + TWO_UPSTREAMS).listeners().get(0).routes().get(0);
        assertThat(r.upstream()).isNull();
        assertThat(r.traffic().split()).containsExactly(new RouteTraffic.SplitSide("v2", 1),
                new RouteTraffic.SplitSide("v1", 9));
        assertThat(r.traffic().splitOn()).isEqualTo("cookie:user");
        assertThat(r.traffic().mirror()).isEqualTo(new MirrorConfig("shadow", 0.1, 64 * 1024, 64));
        RouteConfig second = parse(LISTENER + """
                      - upstream: v1
                        mirror: { upstream: shadow, max_body: 1MiB, max_in_flight: 8 }
                """ + TWO_UPSTREAMS).listeners().get(0).routes().get(0);
        assertThat(second.traffic().mirror()).isEqualTo(new MirrorConfig("shadow", 1.0, 1 << 20, 8));
        assertThat(second.traffic().split()).isEmpty();
    }

    @Test
    void splitErrors() {
        assertThat(errors(LISTENER + """
                      - split: [ { upstream: v3 }, { upstream: v1, weight: 1001 } ]
                        upstream: v1
                        split_on: source_ip
                      - respond: {}
                        split_on: header:X
                        mirror: { upstream: shadw }
                      - split: [ { upstream: v1, weight: 0 } ]
                      - split: []
                """ + TWO_UPSTREAMS)).containsExactly(
                "test.yaml:5:9: route 'route-1' has both 'upstream' and 'split' (expected exactly one)",
                "test.yaml:5:30: split of route 'route-1' refers to unknown upstream 'v3' (did you mean 'v1'?)",
                "test.yaml:5:60: weight 1001 out of range (expected a whole number from 0 to 1000)",
                "test.yaml:7:19: bad key 'source_ip' (expected client_ip, header:NAME, cookie:NAME or query:NAME;"
                        + " did you mean 'client_ip'?)",
                "test.yaml:9:9: 'split_on' is only for routes with 'split'",
                "test.yaml:10:9: 'mirror' is only for routes that forward ('upstream' or 'split')",
                "test.yaml:10:29: mirror of route 'route-2' refers to unknown upstream 'shadw' (did you mean 'shadow'?)",
                "test.yaml:11:16: every side of the split of route 'route-3' has weight 0 (expected at least one"
                        + " above 0)",
                "test.yaml:12:16: 'split' of route 'route-4' is empty (expected at least one side, e.g."
                        + " - { upstream: v2, weight: 1 })");
    }
}
