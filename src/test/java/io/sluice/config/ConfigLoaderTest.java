package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    /** The contract's example, verbatim. */
    static final String EXAMPLE = """
            server:
              workers: 0                 # event-loop threads; 0 means one per core
              shutdown_timeout: 30s
              max_request_head: 64KiB    # request line plus header fields; over it: 431 and close

            listeners:
              - name: public
                address: 0.0.0.0:8080    # host:port; [::1]:8080 for IPv6
                protocol: http           # http (HTTP/1.1, and h2c by prior knowledge), https (TLS; ALPN h2 and http/1.1), tcp (layer 4)
                routes:                  # http and https: tried in order, the first match wins
                  - name: api
                    match:               # every key optional; all given must hold
                      hosts: [api.example.com, "*.example.org"]
                      path_prefix: /api/
                      path_regex: "^/v[0-9]+/"
                      methods: [GET, POST]
                      headers: { X-Canary: "true" }
                    strip_prefix: /api   # removed from the path before forwarding
                    request_headers:  { set: { X-Env: prod }, remove: [X-Debug] }
                    response_headers: { set: { X-Served-By: sluice }, remove: [Server] }
                    upstream: api        # exactly one of upstream, respond, static
                    # respond: { status: 200, body: "hello\\n", headers: { Content-Type: text/plain } }
                    # static:  { root: ./public }
              - name: secure
                address: 0.0.0.0:8443
                protocol: https
                tls:
                  certificates:          # several: chosen by SNI
                    - { cert: certs/site.crt, key: certs/site.key }
                routes:
                  - { match: { path_prefix: / }, upstream: api }
              - name: db
                address: 0.0.0.0:5432
                protocol: tcp
                upstream: db             # tcp listeners: where connections go

            upstreams:
              api:
                balancer: consistent_hash  # see the table below
                hash_on: header:X-User     # consistent_hash only (an error with any other balancer)
                endpoints:
                  - { address: 127.0.0.1:9001, weight: 5 }   # http:// is implied; https://host:port for TLS upstreams
                  - { address: 127.0.0.1:9002 }              # weight defaults to 1
                health_check:            # active: off unless given
                  path: /healthz
                  interval: 2s
                  timeout: 1s
                  healthy_threshold: 2   # consecutive passes to come back
                  unhealthy_threshold: 3 # consecutive failures to go out
                  expect_status: 200-399
                passive:                 # failures seen on real traffic; off unless given
                  max_failures: 3        # consecutive failures that take an endpoint out ...
                  fail_timeout: 10s      # ... for this long
                retry:                   # off unless given
                  attempts: 2            # further tries, each on another endpoint where there is one
                  on: [connect_failure, timeout, 502, 503, 504]
                timeouts:
                  connect: 2s
                  response: 30s          # from the whole request written upstream until the response head arrives
                  idle: 60s              # a pooled upstream connection unused this long is closed
              db:
                balancer: round_robin
                endpoints:
                  - { address: 127.0.0.1:15432 }

            admin:
              address: 127.0.0.1:9901
            """;

    static final String MINIMAL = """
            listeners:
              - address: 127.0.0.1:8080
                routes:
                  - upstream: web
            upstreams:
              web:
                endpoints:
                  - address: 127.0.0.1:9001
            """;

    static final Path FILE = Path.of("test.yaml");

    @TempDir
    Path dir;

    static SluiceConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, FILE, Map.of());
    }

    /** The errors for {@code yaml}, each as {@code FILE:LINE:COL: message}. */
    static List<String> errors(String yaml) {
        return errors(yaml, Map.of());
    }

    static List<String> errors(String yaml, Map<String, String> env) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, FILE, env));
        assertThat(e).as("expected errors").isNotNull();
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    // ---------------------------------------------------------------- valid files

    @Test
    void theContractExampleParses() throws Exception {
        Files.createDirectories(dir.resolve("certs"));
        new io.sluice.tls.TestPki(dir.resolve("certs"), "example").issue("site", "example.org"); // site.crt, site.key
        Path file = dir.resolve("sluice.yaml");

        SluiceConfig c = ConfigLoader.parse(EXAMPLE, file, Map.of());

        assertThat(c.file()).isEqualTo(file);
        assertThat(c.server()).isEqualTo(ServerConfig.DEFAULTS);
        assertThat(c.listeners()).extracting(ListenerConfig::name).containsExactly("public", "secure", "db");

        ListenerConfig pub = c.listeners().get(0);
        assertThat(pub.address()).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(pub.protocol()).isEqualTo(Protocol.HTTP);
        assertThat(pub.tls()).isNull();
        assertThat(pub.upstream()).isNull();
        RouteConfig api = pub.routes().get(0);
        assertThat(api.name()).isEqualTo("api");
        assertThat(api.match().hosts()).containsExactly("api.example.com", "*.example.org");
        assertThat(api.match().pathPrefix()).isEqualTo("/api/");
        assertThat(api.match().pathRegex().pattern()).isEqualTo("^/v[0-9]+/");
        assertThat(api.match().methods()).containsExactly("GET", "POST");
        assertThat(api.match().headers()).containsExactly(Map.entry("X-Canary", "true"));
        assertThat(api.stripPrefix()).isEqualTo("/api");
        assertThat(api.requestHeaders()).isEqualTo(new HeaderOps(Map.of("X-Env", "prod"), List.of("X-Debug")));
        assertThat(api.responseHeaders()).isEqualTo(new HeaderOps(Map.of("X-Served-By", "sluice"), List.of("Server")));
        assertThat(api.upstream()).isEqualTo("api");
        assertThat(api.respond()).isNull();
        assertThat(api.staticFiles()).isNull();

        ListenerConfig secure = c.listeners().get(1);
        assertThat(secure.protocol()).isEqualTo(Protocol.HTTPS);
        assertThat(secure.tls().certificates()).containsExactly(new TlsConfig.Certificate(
                dir.resolve("certs/site.crt").toAbsolutePath().normalize(),
                dir.resolve("certs/site.key").toAbsolutePath().normalize()));
        assertThat(secure.routes()).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("route-1");
            assertThat(r.match().pathPrefix()).isEqualTo("/");
            assertThat(r.upstream()).isEqualTo("api");
        });

        ListenerConfig db = c.listeners().get(2);
        assertThat(db.protocol()).isEqualTo(Protocol.TCP);
        assertThat(db.upstream()).isEqualTo("db");
        assertThat(db.routes()).isEmpty();

        assertThat(c.upstreams()).containsOnlyKeys("api", "db");
        UpstreamConfig u = c.upstreams().get("api");
        assertThat(u.name()).isEqualTo("api");
        assertThat(u.balancer()).isEqualTo("consistent_hash");
        assertThat(u.hashOn()).isEqualTo("header:X-User");
        assertThat(u.virtualNodes()).isEqualTo(160);
        assertThat(u.endpoints()).containsExactly(
                new EndpointConfig("127.0.0.1:9001", "127.0.0.1", 9001, false, 5),
                new EndpointConfig("127.0.0.1:9002", "127.0.0.1", 9002, false, 1));
        assertThat(u.healthCheck()).isEqualTo(new HealthCheckConfig("/healthz", Duration.ofSeconds(2),
                Duration.ofSeconds(1), 2, 3, 200, 399));
        assertThat(u.passive()).isEqualTo(new PassiveConfig(3, Duration.ofSeconds(10)));
        assertThat(u.retry()).isEqualTo(new RetryConfig(2, Set.of("connect_failure", "timeout", "502", "503", "504")));
        assertThat(u.timeouts()).isEqualTo(TimeoutsConfig.DEFAULTS);
        assertThat(c.upstreams().get("db").balancer()).isEqualTo("round_robin");

        assertThat(c.admin()).isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 9901)));
    }

    @Test
    void omittedKeysTakeTheirDefaults() throws Exception {
        SluiceConfig c = parse(MINIMAL);

        assertThat(c.server()).isEqualTo(ServerConfig.DEFAULTS);
        assertThat(c.admin()).isNull();
        ListenerConfig l = c.listeners().get(0);
        assertThat(l.name()).isEqualTo("listener-1");
        assertThat(l.protocol()).isEqualTo(Protocol.HTTP);
        RouteConfig r = l.routes().get(0);
        assertThat(r).isEqualTo(new RouteConfig("route-1", MatchConfig.ANY, null, HeaderOps.NONE, HeaderOps.NONE,
                "web", null, null));
        assertThat(c.upstreams().get("web")).isEqualTo(new UpstreamConfig("web", "round_robin", null, 160, 0,
                Duration.ZERO, List.of(new EndpointConfig("127.0.0.1:9001", "127.0.0.1", 9001, false, 1)),
                null, null, null, TimeoutsConfig.DEFAULTS));
    }

    @Test
    void emptyBlocksTurnFeaturesOnWithDefaults() throws Exception {
        SluiceConfig c = parse(MINIMAL + """
                    health_check: {}
                    passive:
                    retry: {}
                    timeouts: { idle: 5m }
                """);

        UpstreamConfig u = c.upstreams().get("web");
        assertThat(u.healthCheck()).isEqualTo(HealthCheckConfig.DEFAULTS);
        assertThat(u.passive()).isEqualTo(PassiveConfig.DEFAULTS);
        assertThat(u.retry()).isEqualTo(new RetryConfig(1, RetryConfig.DEFAULT_ON));
        assertThat(u.timeouts()).isEqualTo(new TimeoutsConfig(Duration.ofSeconds(2), Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofMinutes(5)));
    }

    @Test
    void serverAndUpstreamSettings() throws Exception {
        SluiceConfig c = parse("""
                server: { workers: 4, shutdown_timeout: 1.5s, max_request_head: 16KiB }
                listeners:
                  - { name: a, address: "[::1]:0", routes: [ { upstream: h } ] }
                upstreams:
                  h:
                    balancer: consistent_hash
                    hash_on: cookie:session
                    virtual_nodes: 40
                    hash_balance_factor: 0.25
                    slow_start: 30s
                    endpoints: [ { address: "https://backend.internal" } ]
                    health_check: { expect_status: 204 }
                    retry: { attempts: 3, on: [reset, 500] }
                """);

        assertThat(c.server())
                .isEqualTo(new ServerConfig(4, Duration.ofMillis(1500), 16 * 1024));
        assertThat(c.listeners().get(0).address()).isEqualTo(new HostPort("::1", 0));
        UpstreamConfig u = c.upstreams().get("h");
        assertThat(u.hashOn()).isEqualTo("cookie:session");
        assertThat(u.virtualNodes()).isEqualTo(40);
        assertThat(u.hashBalanceFactor()).isEqualTo(0.25);
        assertThat(u.slowStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(u.endpoints()).containsExactly(
                new EndpointConfig("https://backend.internal", "backend.internal", 443, true, 1));
        assertThat(u.healthCheck().expectStatusMin()).isEqualTo(204);
        assertThat(u.healthCheck().expectStatusMax()).isEqualTo(204);
        assertThat(u.retry()).isEqualTo(new RetryConfig(3, Set.of("reset", "500")));
    }

    @Test
    void retryAttemptsZeroMeansNoRetry() throws Exception {
        SluiceConfig c = parse("""
                listeners: [ { address: 127.0.0.1:8080, routes: [ { upstream: u } ] } ]
                upstreams:
                  u:
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                    retry: { attempts: 0 }
                """);
        assertThat(c.upstreams().get("u").retry().attempts()).isZero();
    }

    @Test
    void endpointAddressForms() throws Exception {
        SluiceConfig c = parse("""
                listeners: [ { address: 127.0.0.1:8080, routes: [ { upstream: u } ] } ]
                upstreams:
                  u:
                    endpoints:
                      - address: 127.0.0.1:9001
                      - address: http://a.example:8081
                      - address: https://b.example:8443
                      - address: http://c.example
                      - address: https://d.example
                      - address: "[::1]:9001"
                      - address: http://[::1]:9002/
                """);

        assertThat(c.upstreams().get("u").endpoints()).containsExactly(
                new EndpointConfig("127.0.0.1:9001", "127.0.0.1", 9001, false, 1),
                new EndpointConfig("http://a.example:8081", "a.example", 8081, false, 1),
                new EndpointConfig("https://b.example:8443", "b.example", 8443, true, 1),
                new EndpointConfig("http://c.example", "c.example", 80, false, 1),
                new EndpointConfig("https://d.example", "d.example", 443, true, 1),
                new EndpointConfig("[::1]:9001", "::1", 9001, false, 1),
                new EndpointConfig("http://[::1]:9002/", "::1", 9002, false, 1));
    }

    @Test
    void respondAndStaticRoutes() throws Exception {
        Files.createDirectories(dir.resolve("public"));
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes:
                      - match: { path_prefix: /files/ }
                        strip_prefix: /files
                        static: { root: ./sub/../public }
                      - respond: { status: 404, body: "gone\\n", headers: { Content-Type: text/plain } }
                      - respond: {}
                """, dir.resolve("sluice.yaml"), Map.of());

        List<RouteConfig> routes = c.listeners().get(0).routes();
        assertThat(routes.get(0).staticFiles().root()).isEqualTo(dir.resolve("public").toAbsolutePath().normalize());
        assertThat(routes.get(0).stripPrefix()).isEqualTo("/files");
        assertThat(routes.get(1).respond()).isEqualTo(new RespondConfig(404, "gone\n", Map.of("Content-Type", "text/plain")));
        assertThat(routes.get(2).respond()).isEqualTo(new RespondConfig(200, "", Map.of()));
        assertThat(c.upstreams()).isEmpty();
    }

    @Test
    void coreSchemaKeepsOnOffYesNoAsStrings() throws Exception {
        SluiceConfig c = parse("""
                listeners:
                  - name: yes
                    address: 127.0.0.1:8080
                    routes:
                      - name: off
                        request_headers: { set: { X-Feature: on, X-Old: no } }
                        respond: { body: on }
                """);

        assertThat(c.listeners().get(0).name()).isEqualTo("yes");
        RouteConfig r = c.listeners().get(0).routes().get(0);
        assertThat(r.name()).isEqualTo("off");
        assertThat(r.requestHeaders().set()).containsExactly(Map.entry("X-Feature", "on"), Map.entry("X-Old", "no"));
        assertThat(r.respond().body()).isEqualTo("on");
    }

    @Test
    void environmentVariablesExpandInValues() throws Exception {
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - address: ${BIND:-127.0.0.1}:${PORT}
                    routes: [ { upstream: web } ]
                upstreams:
                  web:
                    endpoints: [ { address: "${BACKEND}", weight: "${WEIGHT:-3}" } ]
                """, FILE, Map.of("PORT", "8081", "BACKEND", "https://10.1.2.3"));

        assertThat(c.listeners().get(0).address()).isEqualTo(new HostPort("127.0.0.1", 8081));
        assertThat(c.upstreams().get("web").endpoints()).containsExactly(
                new EndpointConfig("https://10.1.2.3", "10.1.2.3", 443, true, 3));
    }

    @Test
    void loadReadsTheFile() throws Exception {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, MINIMAL);

        assertThat(ConfigLoader.load(file).listeners()).hasSize(1);
        assertThat(ConfigLoader.load(file).file()).isEqualTo(file);
    }

    // ---------------------------------------------------------------- errors, one kind each

    @Test
    void missingFile() {
        Path file = dir.resolve("nope.yaml");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));
        assertThat(e.errors()).containsExactly(new ConfigError(file.toString(), 1, 1,
                "cannot read the configuration: no such file"));
        assertThat(e).hasMessage(file + ":1:1: cannot read the configuration: no such file");
    }

    @Test
    void directoryInsteadOfFile() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(dir));
        assertThat(e.errors()).containsExactly(new ConfigError(dir.toString(), 1, 1,
                "cannot read the configuration: it is a directory"));
    }

    @Test
    void reusePortIsABoolean() throws Exception {
        assertThat(parse("""
                server: { reuse_port: false }
                listeners: [ { address: 127.0.0.1:0, routes: [ { respond: { status: 204 } } ] } ]
                """).server().reusePort()).isFalse();
        assertThat(ServerConfig.DEFAULTS.reusePort()).isTrue();
        assertThat(errors("""
                server: { reuse_port: on }
                listeners: [ { address: 127.0.0.1:0, routes: [ { respond: { status: 204 } } ] } ]
                """)).singleElement().asString().startsWith("test.yaml:1:23: ").contains("expected true or false");
    }

    @Test
    void emptyFile() {
        assertThat(errors("# nothing here\n")).containsExactly(
                "test.yaml:1:1: the configuration is empty (expected at least 'listeners')");
    }

    @Test
    void yamlSyntaxErrorsCarryTheParsersPosition() {
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:8080
                   routes: []
                """)).singleElement().asString().startsWith("test.yaml:3:").contains(": bad YAML: ");
        assertThat(errors("listeners: [ { address: x }\n")).singleElement().asString()
                .startsWith("test.yaml:2:1: bad YAML: ");
    }

    @Test
    void aTagTheYamlLibraryRefusesIsABadYamlErrorAtTheTag() {
        // snakeyaml-engine throws IllegalArgumentException for these, not its own exception (found by fuzzing)
        assertThat(errors("!?%+0")).singleElement().asString()
                .startsWith("test.yaml:1:1: bad YAML: a tag ").contains("remove it");
        assertThat(errors("listeners:\n  - address: !x%20 127.0.0.1:8080\n")).singleElement().asString()
                .startsWith("test.yaml:2:14: bad YAML: a tag ");
    }

    @Test
    void topLevelMustBeAMapping() {
        assertThat(errors("- a\n- b\n")).containsExactly(
                "test.yaml:1:1: 'configuration' must be a mapping, not a list");
    }

    @Test
    void unknownKeyPointsAtTheKey() {
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:8080
                    adress: 127.0.0.1:8081
                    routes: [ { respond: {} } ]
                """)).containsExactly(
                "test.yaml:3:5: unknown key 'adress' in listener (did you mean 'address'?)");
        assertThat(errors(MINIMAL + "admn: { address: 127.0.0.1:9901 }\ncolour: red\n")).containsExactly(
                "test.yaml:9:1: unknown key 'admn' at the top level (did you mean 'admin'?)",
                "test.yaml:10:1: unknown key 'colour' at the top level");
        assertThat(errors(MINIMAL + "    helth_check: {}\n")).containsExactly(
                "test.yaml:9:5: unknown key 'helth_check' in upstream (did you mean 'health_check'?)");
    }

    @Test
    void duplicateKeys() {
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:8080
                    address: 127.0.0.1:8081
                    routes: [ { respond: {} } ]
                """)).containsExactly("test.yaml:3:5: duplicate key 'address' (first on line 2)");
    }

    @Test
    void missingKeysPointAtTheMapping() {
        assertThat(errors("""
                listeners:
                  - name: a
                    routes: [ { respond: {} } ]
                """)).containsExactly("test.yaml:2:5: missing key 'address' in listener");
        assertThat(errors("server: {}\n")).containsExactly(
                "test.yaml:1:1: missing key 'listeners' at the top level");
    }

    @Test
    void wrongShapes() {
        assertThat(errors("""
                listeners:
                  address: 127.0.0.1:8080
                """)).containsExactly("test.yaml:2:3: 'listeners' must be a list, not a mapping");
        assertThat(errors("""
                listeners:
                  - address: [127.0.0.1, 8080]
                    routes: []
                """)).containsExactly(
                "test.yaml:2:14: 'address' must be a single value, not a list",
                "test.yaml:3:13: 'routes' is empty (expected at least one route)");
        assertThat(errors("listeners: []\n")).containsExactly(
                "test.yaml:1:12: 'listeners' is empty (expected at least one listener)");
    }

    @Test
    void badDurationPointsAtTheValue() {
        assertThat(errors(MINIMAL + "    health_check: { interval: 5, timeout: 2x }\n")).containsExactly(
                "test.yaml:9:31: bad duration '5' (expected a number and a unit, e.g. 250ms, 2s, 1m; add a unit, e.g. 5s)",
                "test.yaml:9:43: bad duration '2x' (expected a number and a unit, e.g. 250ms, 2s, 1m)");
        assertThat(errors(MINIMAL + "    timeouts: { connect: 0s }\n")).containsExactly(
                "test.yaml:9:26: connect 0 out of range (expected more than 0, e.g. 1s)");
    }

    @Test
    void badSizesAndServerRanges() {
        assertThat(errors("server:\n  max_request_head: 64KB\n  workers: -1\n" + MINIMAL)).containsExactly(
                "test.yaml:2:21: bad size '64KB' (expected a whole number and a unit B, KiB, MiB or GiB, e.g. 64KiB;"
                        + " did you mean 64KiB?)",
                "test.yaml:3:12: workers -1 out of range (expected a whole number >= 0)");
        assertThat(errors("server: { max_request_head: 2MiB }\n" + MINIMAL)).containsExactly(
                "test.yaml:1:29: max_request_head 2MiB out of range (expected 1KiB to 1MiB)");
        assertThat(errors("server: { workers: four }\n" + MINIMAL)).containsExactly(
                "test.yaml:1:20: bad integer 'four' for 'workers' (expected a whole number >= 0)");
        assertThat(errors("server: { buffer_budget: 512KiB }\n" + MINIMAL)).containsExactly(
                "test.yaml:1:26: buffer_budget 512KiB is too small (expected 1MiB or more; leave it out for half"
                        + " of the JVM's direct memory)");
    }

    @Test
    void transportIsOneOfFourNames() throws Exception {
        assertThat(parse(MINIMAL).server().transport()).isEqualTo("auto");
        assertThat(parse("server: { transport: epoll }\n" + MINIMAL).server().transport()).isEqualTo("epoll");
        assertThat(errors("server: { transport: uring }\n" + MINIMAL)).containsExactly(
                "test.yaml:1:22: unknown transport 'uring' (expected one of auto, io_uring, epoll, nio; auto takes"
                        + " io_uring, then epoll, then nio, whichever works here)");
    }

    @Test
    void bufferBudgetIsASize() throws Exception {
        assertThat(parse("server: { buffer_budget: 64MiB }\n" + MINIMAL).server().bufferBudget())
                .isEqualTo(64L * 1024 * 1024);
        assertThat(parse(MINIMAL).server().bufferBudget()).isZero(); // the default: half the direct-memory limit
    }

    @Test
    void badAddresses() {
        assertThat(errors("""
                listeners:
                  - address: localhost
                    routes: [ { respond: {} } ]
                  - address: ::1:8080
                    routes: [ { respond: {} } ]
                  - address: 127.0.0.1:70000
                    routes: [ { respond: {} } ]
                """)).containsExactly(
                "test.yaml:2:14: bad address 'localhost' (expected host:port, e.g. 0.0.0.0:8080 or [::1]:8080)",
                "test.yaml:4:14: bad address '::1:8080' (put IPv6 addresses in brackets, e.g. [::1]:8080)",
                "test.yaml:6:14: bad address '127.0.0.1:70000' (port must be 0 to 65535)");
        assertThat(errors(MINIMAL + "      - address: ftp://x:21\n      - address: http://x/api?v=1\n"
                + "      - { address: 127.0.0.1:9001, weight: 0 }\n")).containsExactly(
                "test.yaml:9:18: bad address 'ftp://x:21' (unknown scheme 'ftp'; expected http or https)",
                "test.yaml:10:18: bad address 'http://x/api?v=1' (an endpoint address has no query or fragment; expected"
                        + " scheme://host[:port][/path])",
                "test.yaml:11:20: endpoint '127.0.0.1:9001' is listed twice in upstream 'web'",
                "test.yaml:11:44: weight 0 out of range (expected a whole number from 1 to 1000)");
    }

    @Test
    void unknownNamesSuggestTheClosest() {
        assertThat(errors("""
                listeners:
                  - name: api
                    address: 127.0.0.1:8080
                    protocol: htp
                    routes: [ { upstream: api } ]
                  - address: 127.0.0.1:8081
                    routes: [ { name: api, upstream: apii }, { upstream: zzz } ]
                upstreams:
                  api:
                    balancer: round_robbin
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                  db:
                    balancer: fastest
                    endpoints: [ { address: 127.0.0.1:9002 } ]
                """)).containsExactly(
                "test.yaml:4:15: unknown protocol 'htp' (did you mean 'http'?)",
                "test.yaml:7:38: route 'api' refers to unknown upstream 'apii' (did you mean 'api'?)",
                "test.yaml:7:58: route 'route-2' refers to unknown upstream 'zzz' (expected one of api, db)",
                "test.yaml:10:15: unknown balancer 'round_robbin' (did you mean 'round_robin'?)",
                "test.yaml:13:15: unknown balancer 'fastest' (expected one of "
                        + String.join(", ", UpstreamConfig.BALANCERS) + ")");
    }

    @Test
    void consistentHashRules() {
        assertThat(errors("""
                listeners: [ { address: 127.0.0.1:8080, routes: [ { upstream: a } ] } ]
                upstreams:
                  a:
                    hash_on: source_ip
                    virtual_nodes: 10
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                  b:
                    balancer: consistent_hash
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                  c:
                    balancer: consistent_hash
                    hash_on: heder:X-User
                    hash_balance_factor: -1
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                """)).containsExactly(
                "test.yaml:4:5: 'hash_on' is only for balancer consistent_hash (this upstream uses round_robin)",
                "test.yaml:5:5: 'virtual_nodes' is only for balancer consistent_hash (this upstream uses round_robin)",
                "test.yaml:8:15: balancer consistent_hash needs 'hash_on' (source_ip, uri, path, header:NAME,"
                        + " cookie:NAME or query:NAME)",
                "test.yaml:12:14: bad hash_on 'heder:X-User' (did you mean 'header:X-User'?)",
                "test.yaml:13:26: bad hash_balance_factor '-1' (expected a number >= 0, e.g. 0.25; 0 turns it off)");
    }

    @Test
    void routeRules() {
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes:
                      - name: none
                        match: { path_prefix: api, path_regex: "([a-z", methods: [get, "BAD METHOD"] }
                      - name: two
                        upstream: web
                        respond: { status: 99 }
                      - static: { root: ./missing }
                        match: { hosts: ["example.com:80"], headers: { "Bad Name": x } }
                upstreams:
                  web: { endpoints: [ { address: 127.0.0.1:9001 } ] }
                """)).containsExactly(
                "test.yaml:4:9: route 'none' needs one of 'upstream', 'split', 'respond' or 'static'",
                "test.yaml:5:31: bad path 'api' (expected a path starting with '/')",
                "test.yaml:5:48: bad path_regex '([a-z' (Unclosed character class at index 4)",
                "test.yaml:5:67: bad method 'get' (expected an upper-case token; did you mean 'GET'?)",
                "test.yaml:5:72: bad method 'BAD METHOD' (expected an upper-case token, e.g. GET)",
                "test.yaml:8:9: route 'two' has both 'upstream' and 'respond' (expected exactly one)",
                "test.yaml:8:28: status 99 out of range (expected a whole number from 100 to 599)",
                "test.yaml:9:25: static root './missing' does not exist (resolved to "
                        + Path.of("missing").toAbsolutePath() + ")",
                "test.yaml:10:26: bad host 'example.com:80' (expected a host name without port, optionally starting"
                        + " with '*.', e.g. *.example.org)",
                "test.yaml:10:56: bad header name 'Bad Name'");
    }

    @Test
    void listenerRules() throws IOException {
        Files.writeString(dir.resolve("a.crt"), "x");
        String yaml = """
                listeners:
                  - name: s
                    address: 127.0.0.1:8443
                    protocol: https
                    routes: [ { respond: {} } ]
                  - name: t
                    address: 127.0.0.1:8444
                    protocol: https
                    tls: { certificates: [ { cert: a.crt, key: a.key } ] }
                    routes: [ { respond: {} } ]
                  - name: p
                    address: 127.0.0.1:5432
                    protocol: tcp
                    routes: [ { respond: {} } ]
                  - name: h
                    address: 127.0.0.1:8080
                    upstream: db
                    tls: { certificates: [] }
                  - name: q
                    address: 127.0.0.1:5433
                    protocol: tcp
                upstreams:
                  db: { endpoints: [ { address: 127.0.0.1:9001 } ] }
                """;
        Path file = dir.resolve("sluice.yaml");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, file, Map.of()));
        String f = file.toString();
        assertThat(e.errors().stream().map(ConfigError::toString)).containsExactly(
                f + ":4:15: https listener 's' needs 'tls' with at least one certificate or 'acme'",
                f + ":9:48: key file 'a.key' does not exist (resolved to " + dir.resolve("a.key") + ")",
                f + ":13:15: tcp listener 'p' needs 'upstream' (where its connections go)",
                f + ":14:5: 'routes' is only for http and https listeners (tcp listeners forward to 'upstream')",
                f + ":15:5: http listener 'h' needs 'routes'",
                f + ":17:5: 'upstream' is only for tcp listeners (http listener 'h' uses routes)",
                f + ":18:5: 'tls' is only for https listeners (http listener 'h')",
                f + ":21:15: tcp listener 'q' needs 'upstream' (where its connections go)");
    }

    @Test
    void listenerNamesAndAddressesAreUnique() {
        assertThat(errors("""
                listeners:
                  - { name: a, address: 127.0.0.1:8080, routes: [ { respond: {} } ] }
                  - { name: a, address: 127.0.0.1:8081, routes: [ { respond: {} } ] }
                  - { name: b, address: 127.0.0.1:8080, routes: [ { respond: {} } ] }
                  - { name: c, address: 127.0.0.1:0, routes: [ { respond: {} } ] }
                  - { name: d, address: 127.0.0.1:0, routes: [ { respond: {} } ] }
                admin: { address: 127.0.0.1:8081 }
                """)).containsExactly(
                "test.yaml:3:13: duplicate listener name 'a' (first on line 2)",
                "test.yaml:4:25: listener 'b' has the same address as listener 'a' (127.0.0.1:8080)",
                "test.yaml:7:19: the admin address is the same as listener 'a' (127.0.0.1:8081)");
    }

    @Test
    void upstreamBlockRules() {
        assertThat(errors(MINIMAL + """
                    health_check: { path: healthz, expect_status: 200-99, unhealthy_threshold: 0 }
                    passive: { max_failures: 0 }
                    retry: { attempts: -1, on: [conect_failure, 404, 503] }
                  empty:
                    endpoints: []
                  none: {}
                """)).containsExactly(
                "test.yaml:9:27: bad health_check path 'healthz' (expected a path starting with '/')",
                "test.yaml:9:51: bad expect_status '200-99' (expected a status such as 200 or a range such as"
                        + " 200-399, within 100-599)",
                "test.yaml:9:80: unhealthy_threshold 0 out of range (expected a whole number from 1 to 1000)",
                "test.yaml:10:30: max_failures 0 out of range (expected a whole number from 1 to 1000)",
                "test.yaml:11:24: attempts -1 out of range (expected a whole number from 0 to 100)",
                "test.yaml:11:33: unknown retry condition 'conect_failure' (did you mean 'connect_failure'?)",
                "test.yaml:11:49: retry on status 404 is not allowed (expected a 5xx status)",
                "test.yaml:13:16: upstream 'empty' has no endpoints (expected at least one)",
                "test.yaml:14:9: missing key 'endpoints' in upstream");
    }

    @Test
    void unsetEnvironmentVariableIsAnErrorAtTheValue() {
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:${PORT}
                    routes: [ { respond: { body: "${GREETING:-hi} ${NAME" } } ]
                """)).containsExactly(
                "test.yaml:2:14: environment variable 'PORT' is not set (write ${PORT:-default} to give a default)",
                "test.yaml:3:34: unterminated '${' in '${GREETING:-hi} ${NAME' (expected ${NAME} or ${NAME:-default})");
    }

    @Test
    void aReferenceInsideADefaultIsAnErrorNotItsLiteralText() {
        // ADMIN_TOKEN unset used to give the admin token the literal text "${FALLBACK}"
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes: [ { respond: { status: 200 } } ]
                admin: { address: 127.0.0.1:9901, token: "${ADMIN_TOKEN:-${FALLBACK}}" }
                """, Map.of("FALLBACK", "s3cret"))).containsExactly(
                "test.yaml:4:42: a default cannot contain ${...} in '${ADMIN_TOKEN:-${FALLBACK}}';"
                        + " set the variable instead");
    }

    @Test
    void anUnknownAccessLogFieldIsReportedAtTheItem() {
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes: [ { respond: { status: 200 } } ]
                access_log:
                  format: json
                  fields: [ status, duraton_ms,
                            method ]
                """)).singleElement().asString()
                .startsWith("test.yaml:6:21: unknown access_log field 'duraton_ms'");
    }

    @Test
    void severalErrorsAreReportedAtOnceInFileOrder() {
        List<String> errors = errors("""
                server:
                  shutdown_timeout: 30
                listeners:
                  - adress: 127.0.0.1:8080
                    routes: [ { upstream: wbe } ]
                upstreams:
                  web:
                    balancer: round_robin
                    endpoints: [ { address: 127.0.0.1:9001, weight: 1001 } ]
                    timeouts: { conect: 1s }
                """);
        assertThat(errors).containsExactly(
                "test.yaml:2:21: bad duration '30' (expected a number and a unit, e.g. 250ms, 2s, 1m; add a unit, e.g. 30s)",
                "test.yaml:4:5: unknown key 'adress' in listener (did you mean 'address'?)",
                "test.yaml:4:5: missing key 'address' in listener",
                "test.yaml:5:27: route 'route-1' refers to unknown upstream 'wbe' (did you mean 'web'?)",
                "test.yaml:9:53: weight 1001 out of range (expected a whole number from 1 to 1000)",
                "test.yaml:10:17: unknown key 'conect' in timeouts (did you mean 'connect'?)");
    }

    @Test
    void exceptionMessageSummarisesTheErrors() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> parse("listeners: []\ncolour: red\n"));
        assertThat(e).hasMessage("test.yaml:1:12: 'listeners' is empty (expected at least one listener) (and 1 more)");
    }

    @Test
    void parseWithTheProcessEnvironment() {
        assertThatThrownBy(() -> ConfigLoader.parse("listeners: [ { address: "
                + "\"${SLUICE_TEST_SURELY_UNSET_VARIABLE}\", routes: [ { respond: {} } ] } ]\n", FILE))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variable 'SLUICE_TEST_SURELY_UNSET_VARIABLE' is not set");
    }

    @Test
    void clientTimeouts() throws Exception {
        SluiceConfig c = parse("""
                server:
                  client_timeouts: { idle: 5s, request_head: 2s, send: 1m }
                listeners: [ { address: 127.0.0.1:8080, routes: [ { respond: {} } ] } ]
                """);
        assertThat(c.server().clientTimeouts()).isEqualTo(new ClientTimeoutsConfig(Duration.ofSeconds(5),
                Duration.ofSeconds(2), Duration.ofSeconds(60), Duration.ofMinutes(1)));
        assertThat(parse("listeners: [ { address: 127.0.0.1:8080, routes: [ { respond: {} } ] } ]\n")
                .server().clientTimeouts()).isEqualTo(ClientTimeoutsConfig.DEFAULTS);

        assertThat(errors("""
                server:
                  client_timeouts: { request_haed: 2s, idle: 0s, send: 10 }
                listeners: [ { address: 127.0.0.1:8080, routes: [ { respond: {} } ] } ]
                """)).containsExactly(
                "test.yaml:2:22: unknown key 'request_haed' in client_timeouts (did you mean 'request_head'?)",
                "test.yaml:2:46: idle 0 out of range (expected more than 0, e.g. 1s)",
                "test.yaml:2:56: bad duration '10' (expected a number and a unit, e.g. 250ms, 2s, 1m; add a unit, e.g. 10s)");
    }

    @Test
    void idleTimeoutIsForTcpListeners() throws Exception {
        SluiceConfig c = parse("""
                listeners:
                  - { name: db, address: 127.0.0.1:5432, protocol: tcp, upstream: u, idle_timeout: 1h }
                  - { name: web, address: 127.0.0.1:8080, routes: [ { upstream: u } ] }
                upstreams:
                  u: { endpoints: [ { address: 127.0.0.1:9001 } ] }
                """);
        assertThat(c.listeners().get(0).idleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(c.listeners().get(1).idleTimeout()).isEqualTo(ListenerConfig.DEFAULT_TCP_IDLE);

        assertThat(errors("""
                listeners:
                  - { address: 127.0.0.1:8080, routes: [ { upstream: u } ], idle_timeout: 1m }
                upstreams:
                  u: { endpoints: [ { address: 127.0.0.1:9001 } ] }
                """)).containsExactly(
                "test.yaml:2:61: 'idle_timeout' is only for tcp listeners and forward proxies (http listener 'listener-1': see"
                        + " server.client_timeouts)");
    }

    @Test
    void theCacheNeedsTheSharedStoreForItsRedisLevel() {
        List<String> errors = errors("""
                listeners:
                  - address: 127.0.0.1:0
                    routes:
                      - filters: [ { cache: { memory: 64MiB, redis: true } } ]
                        upstream: u
                upstreams:
                  u: { endpoints: [ { address: 127.0.0.1:1 } ] }
                """);
        assertThat(errors).containsExactly("test.yaml:4:53: 'redis: true' needs the top-level 'redis' block"
                + " (redis: { address: redis://127.0.0.1:6379 })");
    }

    @Test
    void theSharedStoreIsReadAndRateLimitsNeedItForStoreRedis() throws Exception {
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:0
                    routes:
                      - filters: [ { rate_limit: { rate: 10/s, store: redis, on_store_error: deny } } ]
                        respond: {}
                redis: { address: "redis://:secret@10.0.0.5:6380/2", timeout: 100ms }
                """, FILE, Map.of());
        assertThat(c.redis()).isEqualTo(new RedisConfig("redis://:secret@10.0.0.5:6380/2", Duration.ofMillis(100)));
        assertThat(c.redis().redacted()).isEqualTo("redis://[redacted]@10.0.0.5:6380/2");
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:0
                    routes:
                      - filters: [ { rate_limit: { rate: 10/s, store: redis } } ]
                        respond: {}
                """)).containsExactly("test.yaml:4:55: store 'redis' needs the top-level 'redis' block"
                + " (redis: { address: redis://host:6379 })");
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:0
                    routes: [ { respond: {} } ]
                redis: { address: "http://10.0.0.5:6379", timeout: 0s }
                """)).containsExactly(
                "test.yaml:4:19: bad redis address 'http://10.0.0.5:6379' (expected redis://[:password@]host:port[/db]"
                        + " or rediss:// for TLS)",
                "test.yaml:4:52: timeout 0 out of range (expected more than 0, e.g. 1s)");
    }

    @Test
    void discoveryTakesTheEndpointsOfAZooKeeperNode() throws Exception {
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:0
                    routes: [ { upstream: u } ]
                upstreams:
                  u: { discovery: { zookeeper: { connect: "zk1:2181,zk2:2181", path: /services/u } } }
                """, FILE, Map.of());
        UpstreamConfig u = c.upstreams().get("u");
        assertThat(u.endpoints()).isEmpty();
        assertThat(u.policies().discovery()).isEqualTo(new DiscoveryConfig("zk1:2181,zk2:2181", "/services/u"));
        assertThat(errors("""
                listeners:
                  - address: 127.0.0.1:0
                    routes: [ { upstream: u } ]
                upstreams:
                  u: { discovery: { zookeeper: { path: services/u } } }
                """)).containsExactly(
                "test.yaml:5:32: missing key 'connect' in zookeeper",
                "test.yaml:5:40: bad ZooKeeper path 'services/u' (expected an absolute node path such as /services/api)");
    }
}
