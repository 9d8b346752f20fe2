package io.sluice.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/** Binds the {@code upstreams:} mapping to {@link UpstreamConfig}s, reporting errors through the reader. */
final class UpstreamBinder {

    static final List<String> KEYS = List.of("balancer", "hash_on", "virtual_nodes", "hash_balance_factor",
            "slow_start", "panic_threshold", "endpoints", "health_check", "passive", "retry", "timeouts", "protocol",
            "tls", "send_proxy_protocol", "circuit_breaker", "sticky", "discovery");
    static final List<String> CIRCUIT_BREAKER_KEYS = List.of("failure_ratio", "min_requests", "window", "open_for",
            "half_open_requests", "on");
    static final List<String> STICKY_KEYS = List.of("cookie", "learn", "store", "ttl");
    static final List<String> TLS_KEYS = List.of("ca", "client_cert", "client_key", "verify", "server_name");
    static final List<String> ENDPOINT_KEYS = List.of("address", "weight");
    static final List<String> HEALTH_CHECK_KEYS = List.of("path", "interval", "timeout", "healthy_threshold",
            "unhealthy_threshold", "expect_status", "type", "host");
    static final List<String> HEALTH_CHECK_TYPES = List.of(HealthCheckConfig.HTTP, HealthCheckConfig.TCP);
    static final List<String> PASSIVE_KEYS = List.of("max_failures", "fail_timeout", "on_status");
    static final List<String> RETRY_KEYS = List.of("attempts", "on", "max_body", "budget", "min_retries_per_second");
    static final List<String> TIMEOUT_KEYS = List.of("connect", "response", "read", "idle");
    static final List<String> RETRY_CONDITIONS = List.of("connect_failure", "timeout", "reset");
    static final String CONSISTENT_HASH = "consistent_hash";
    static final String HASH_ON_EXPECTED = "source_ip, uri, path, header:NAME, cookie:NAME or query:NAME";

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern STATUS_RANGE = Pattern.compile("([0-9]{3})(?:\\s*-\\s*([0-9]{3}))?");
    private static final Pattern FACTOR = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    private static final Pattern PERCENT = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*%");

    private final YamlReader r;
    /** The configuration has a top-level {@code redis:} block ({@code sticky.store: redis} needs one). */
    private final boolean sharedStore;

    UpstreamBinder(YamlReader reader, boolean sharedStore) {
        this.r = reader;
        this.sharedStore = sharedStore;
    }

    /**
     * Binds every upstream. The result holds the upstreams bound without errors; {@code names} receives
     * every name given, so that references to an upstream with an error are not reported as unknown too.
     */
    Map<String, UpstreamConfig> bindAll(Node node, Set<String> names) {
        Map<String, UpstreamConfig> out = new LinkedHashMap<>();
        Map<String, NodeTuple> entries = r.entries(node, "upstreams");
        if (entries == null) {
            return out;
        }
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            String name = e.getKey();
            names.add(name);
            if (!NAME.matcher(name).matches()) {
                r.error(e.getValue().getKeyNode(), "bad upstream name '" + name
                        + "' (expected letters, digits, '_', '-' and '.')");
            }
            UpstreamConfig u = bind(name, e.getValue().getValueNode());
            if (u != null) {
                out.put(name, u);
            }
        }
        return out;
    }

    /** Balancer names as the error messages show them. */
    static String balancerError(String name) {
        String hint = Suggestions.didYouMean(name, UpstreamConfig.BALANCERS);
        return "unknown balancer '" + name + "'"
                + (hint.isEmpty() ? " (expected one of " + String.join(", ", UpstreamConfig.BALANCERS) + ")" : hint);
    }

    static String checkBalancer(String name) {
        if (!UpstreamConfig.BALANCERS.contains(name)) {
            throw new IllegalArgumentException(balancerError(name));
        }
        return name;
    }

    private UpstreamConfig bind(String name, Node node) {
        Fields f = r.fields(node, name, "in upstream", KEYS);
        if (f == null) {
            return null;
        }
        String balancer = f.value("balancer", null, UpstreamBinder::checkBalancer);
        boolean badBalancer = balancer == null && f.has("balancer");
        balancer = balancer == null ? UpstreamConfig.DEFAULT_BALANCER : balancer;
        boolean hashing = balancer.equals(CONSISTENT_HASH);
        for (String key : List.of("hash_on", "virtual_nodes", "hash_balance_factor")) {
            if (f.has(key) && !hashing && !badBalancer) {
                r.error(f.keyNode(key), "'" + key + "' is only for balancer consistent_hash (this upstream uses "
                        + balancer + ")");
            }
        }
        String hashOn = null;
        int virtualNodes = UpstreamConfig.DEFAULT_VIRTUAL_NODES;
        double factor = 0;
        if (hashing) {
            if (!f.has("hash_on")) {
                r.error(f.node("balancer"), "balancer consistent_hash needs 'hash_on' (" + HASH_ON_EXPECTED + ")");
            }
            hashOn = f.value("hash_on", null, UpstreamBinder::hashOn);
            virtualNodes = f.integer("virtual_nodes", virtualNodes, 1, 10_000);
            factor = f.value("hash_balance_factor", 0.0, UpstreamBinder::factor);
        }
        Duration slowStart = f.duration("slow_start", Duration.ZERO, false);
        double panic = f.value("panic_threshold", 0.0, s -> percent("panic_threshold", s));
        DiscoveryConfig discovery = f.has("discovery") ? discovery(f.node("discovery")) : null;
        List<EndpointConfig> endpoints = f.has("discovery") && !f.has("endpoints") ? List.of() : endpoints(f, name,
                f.has("discovery"));
        HealthCheckConfig health = f.has("health_check") ? healthCheck(f.node("health_check")) : null;
        PassiveConfig passive = f.has("passive") ? passive(f.node("passive")) : null;
        RetryConfig retry = f.has("retry") ? retry(f.node("retry")) : null;
        TimeoutsConfig timeouts = f.has("timeouts") ? timeouts(f.node("timeouts")) : TimeoutsConfig.DEFAULTS;
        UpstreamConfig.Wire wire = f.value("protocol", UpstreamConfig.Wire.HTTP1, UpstreamBinder::wire);
        UpstreamTlsConfig tls = f.has("tls") ? tls(f.node("tls")) : UpstreamTlsConfig.DEFAULTS;
        UpstreamConfig.SendProxyProtocol sendProxy = f.value("send_proxy_protocol",
                UpstreamConfig.SendProxyProtocol.OFF, UpstreamBinder::sendProxyProtocol);
        if (sendProxy != UpstreamConfig.SendProxyProtocol.OFF && wire != UpstreamConfig.Wire.HTTP1) {
            r.error(f.node("send_proxy_protocol"), "send_proxy_protocol needs protocol http1 (an h2 connection carries"
                    + " the requests of many clients, and a PROXY header names one)");
        }

        CircuitBreakerConfig breaker = f.has("circuit_breaker") ? circuitBreaker(f.node("circuit_breaker")) : null;
        StickyConfig sticky = f.has("sticky") ? sticky(f.node("sticky")) : null;
        return new UpstreamConfig(name, balancer, hashOn, virtualNodes, factor, slowStart, endpoints, health,
                passive, retry, timeouts, panic, wire, tls, sendProxy, new UpstreamPolicies(breaker, sticky, discovery));
    }

    /** {@code discovery: { zookeeper: { connect, path } }}. */
    private DiscoveryConfig discovery(Node node) {
        Fields f = r.fields(node, "discovery", "in discovery", List.of("zookeeper"));
        if (f == null || !f.require("zookeeper")) {
            return null;
        }
        Fields zk = r.fields(f.node("zookeeper"), "zookeeper", "in zookeeper", List.of("connect", "path"));
        if (zk == null) {
            return null;
        }
        boolean both = zk.require("connect") & zk.require("path");
        String connect = zk.name("connect", null);
        String path = zk.value("path", null, p -> {
            if (!p.startsWith("/") || (p.length() > 1 && p.endsWith("/")) || p.contains("//")) {
                throw new IllegalArgumentException("bad ZooKeeper path '" + p + "' (expected an absolute node path such"
                        + " as /services/api)");
            }
            return p;
        });
        return both && connect != null && path != null ? new DiscoveryConfig(connect, path) : null;
    }

    private CircuitBreakerConfig circuitBreaker(Node node) {
        CircuitBreakerConfig d = CircuitBreakerConfig.DEFAULTS;
        Fields f = r.fields(node, "circuit_breaker", "in circuit_breaker", CIRCUIT_BREAKER_KEYS);
        if (f == null) {
            return d;
        }
        double ratio = f.value("failure_ratio", d.failureRatio(), s -> percent("failure_ratio", s));
        if (ratio == 0 && f.has("failure_ratio")) {
            r.error(f.node("failure_ratio"), "failure_ratio 0% would open the breaker on every request"
                    + " (expected more than 0%, e.g. 50%)");
        }
        int min = f.integer("min_requests", d.minRequests(), 1, 1_000_000);
        Duration window = f.duration("window", d.window(), true);
        if (window.compareTo(Duration.ofMillis(10)) < 0) {
            r.error(f.node("window"), "window " + Durations.format(window) + " out of range (expected at least 10ms)");
            window = d.window();
        }
        Duration openFor = f.duration("open_for", d.openFor(), true);
        int halfOpen = f.integer("half_open_requests", d.halfOpenRequests(), 1, 1000);
        Set<String> on = d.on();
        boolean any5xx = d.any5xx();
        Set<Integer> statuses = d.statuses();
        if (f.has("on")) {
            List<Node> items = r.list(f.node("on"), "on");
            if (items != null && items.isEmpty()) {
                r.error(f.node("on"), "'on' is empty (expected at least one of connect_failure, reset, timeout, 5xx"
                        + " or a status code)");
            }
            if (items != null && !items.isEmpty()) {
                on = new LinkedHashSet<>();
                any5xx = false;
                statuses = new LinkedHashSet<>();
                for (Node item : items) {
                    String c = r.value(item, "on", UpstreamBinder::breakerCondition);
                    if (c == null) {
                        continue;
                    }
                    if (c.equals("5xx")) {
                        any5xx = true;
                    } else if (Character.isDigit(c.charAt(0))) {
                        statuses.add(Integer.parseInt(c));
                    } else {
                        on.add(c);
                    }
                }
            }
        }
        return new CircuitBreakerConfig(ratio, min, window, openFor, halfOpen, on, any5xx, statuses);
    }

    private static String breakerCondition(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        if (CircuitBreakerConfig.CONDITIONS.contains(t) || t.equals("5xx")) {
            return t;
        }
        if (t.matches("[0-9]{3}")) {
            int code = Integer.parseInt(t);
            if (code < 100 || code > 599) {
                throw new IllegalArgumentException("bad status " + t + " (expected a status code from 100 to 599)");
            }
            return t;
        }
        List<String> known = new ArrayList<>(CircuitBreakerConfig.CONDITIONS);
        known.add("5xx");
        String hint = Suggestions.didYouMean(s, known);
        throw new IllegalArgumentException("unknown circuit_breaker condition '" + s + "'"
                + (hint.isEmpty() ? " (expected connect_failure, reset, timeout, 5xx or a status code such as 503)"
                : hint));
    }

    private StickyConfig sticky(Node node) {
        Fields f = r.fields(node, "sticky", "in sticky", STICKY_KEYS);
        if (f == null) {
            return null;
        }
        if (f.has("cookie") == f.has("learn")) {
            r.error(f.has("learn") ? f.keyNode("learn") : f.at(),
                    "sticky needs exactly one of 'cookie' (insert mode: cookie: NAME) and 'learn' (learn: cookie:NAME)");
            return null;
        }
        String cookie = f.value("cookie", null, UpstreamBinder::cookieName);
        String learn = f.value("learn", null, UpstreamBinder::learnKey);
        String store = f.value("store", StickyConfig.LOCAL, UpstreamBinder::stickyStore);
        if (f.has("cookie") && f.has("store")) {
            r.error(f.keyNode("store"), "'store' is only for learn mode (insert mode keeps the binding in the cookie)");
        } else if (StickyConfig.REDIS.equals(store) && !sharedStore) {
            r.error(f.node("store"), "sticky store 'redis' needs the top-level 'redis' block (redis: { address:"
                    + " redis://host:6379 }); or use store: local");
        }
        Duration ttl = f.duration("ttl", cookie != null ? null : StickyConfig.DEFAULT_LEARN_TTL, true);
        if (ttl != null && cookie != null && ttl.toSeconds() < 1) {
            r.error(f.node("ttl"), "ttl " + Durations.format(ttl) + " out of range (the cookie's Max-Age counts whole"
                    + " seconds: expected at least 1s)");
        }
        if (cookie == null && learn == null) {
            return null;
        }
        return new StickyConfig(cookie, learn, store, ttl);
    }

    private static String cookieName(String s) {
        if (!TOKEN.matcher(s).matches()) {
            throw new IllegalArgumentException("bad cookie name '" + s + "' (expected a token, e.g. SLUICE_ROUTE)");
        }
        return s;
    }

    private static String learnKey(String s) {
        if (!s.startsWith("cookie:")) {
            throw new IllegalArgumentException("bad learn '" + s + "' (expected cookie:NAME, e.g. cookie:JSESSIONID)");
        }
        return cookieName(s.substring("cookie:".length()));
    }

    private static String stickyStore(String s) {
        if (!s.equals(StickyConfig.LOCAL) && !s.equals(StickyConfig.REDIS)) {
            String hint = Suggestions.didYouMean(s, List.of(StickyConfig.LOCAL, StickyConfig.REDIS));
            throw new IllegalArgumentException("unknown sticky store '" + s + "'"
                    + (hint.isEmpty() ? " (expected local or redis)" : hint));
        }
        return s;
    }

    static UpstreamConfig.SendProxyProtocol sendProxyProtocol(String s) {
        int i = UpstreamConfig.SendProxyProtocol.NAMES.indexOf(s);
        if (i < 0) {
            String hint = Suggestions.didYouMean(s, UpstreamConfig.SendProxyProtocol.NAMES);
            throw new IllegalArgumentException("bad send_proxy_protocol '" + s + "'"
                    + (hint.isEmpty() ? " (expected off, v1 or v2)" : hint));
        }
        return UpstreamConfig.SendProxyProtocol.values()[i];
    }

    static UpstreamConfig.Wire wire(String s) {
        int i = UpstreamConfig.Wire.NAMES.indexOf(s);
        if (i < 0) {
            String hint = Suggestions.didYouMean(s, UpstreamConfig.Wire.NAMES);
            throw new IllegalArgumentException("unknown upstream protocol '" + s + "'"
                    + (hint.isEmpty() ? " (expected http1, h2 or h2c)" : hint));
        }
        return UpstreamConfig.Wire.values()[i];
    }

    /** An upstream's {@code tls:} block: the CA to verify against, a client certificate, SNI. */
    private UpstreamTlsConfig tls(Node node) {
        Fields f = r.fields(node, "tls", "in upstream tls", TLS_KEYS);
        if (f == null) {
            return UpstreamTlsConfig.DEFAULTS;
        }
        java.nio.file.Path ca = ConfigLoader.existingCertificates(r, f, "ca", "CA");
        java.nio.file.Path cert = ConfigLoader.existingFile(r, f, "client_cert", "client certificate");
        java.nio.file.Path key = ConfigLoader.existingFile(r, f, "client_key", "client key");
        if ((cert == null) != (key == null)) {
            r.error(f.at(), "'client_cert' and 'client_key' go together (one of them is missing)");
        }
        ConfigLoader.checkPair(r, f, "client_cert", cert, "client certificate", "client_key", key, "client key");
        boolean verify = f.value("verify", Boolean.TRUE, UpstreamBinder::bool);
        String serverName = f.name("server_name", null);
        return new UpstreamTlsConfig(ca, cert, key, verify, serverName);
    }

    static Boolean bool(String s) {
        return switch (s) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("bad boolean '" + s + "' (expected true or false)");
        };
    }

    /** Checks a {@code hash_on} value: source_ip, uri, path, header:NAME, cookie:NAME or query:NAME. */
    static String hashOn(String s) {
        if (s.equals("source_ip") || s.equals("uri") || s.equals("path")) {
            return s;
        }
        int colon = s.indexOf(':');
        if (colon > 0) {
            String kind = s.substring(0, colon);
            String name = s.substring(colon + 1);
            if ((kind.equals("header") || kind.equals("cookie") || kind.equals("query"))) {
                if (!TOKEN.matcher(name).matches()) {
                    throw new IllegalArgumentException("bad hash_on '" + s + "' (expected a name after '"
                            + kind + ":', e.g. " + kind + ":X-User)");
                }
                return s;
            }
        }
        String name = colon >= 0 ? s.substring(colon + 1) : "NAME";
        String hint = Suggestions.didYouMean(s, List.of("source_ip", "uri", "path",
                "header:" + name, "cookie:" + name, "query:" + name));
        throw new IllegalArgumentException("bad hash_on '" + s + "'"
                + (hint.isEmpty() ? " (expected " + HASH_ON_EXPECTED + ")" : hint));
    }

    private static Double factor(String s) {
        if (!FACTOR.matcher(s.strip()).matches()) {
            throw new IllegalArgumentException("bad hash_balance_factor '" + s
                    + "' (expected a number >= 0, e.g. 0.25; 0 turns it off)");
        }
        return Double.parseDouble(s.strip());
    }

    /** {@code N%} with N from 0 to 100 (decimals allowed), as a share in [0, 1]. */
    static Double percent(String key, String s) {
        var m = PERCENT.matcher(s.strip());
        double v = m.matches() ? Double.parseDouble(m.group(1)) : -1;
        if (v < 0 || v > 100) {
            throw new IllegalArgumentException("bad " + key + " '" + s + "' (expected a percentage from 0% to 100%, e.g. 20%)");
        }
        return v / 100;
    }

    private List<EndpointConfig> endpoints(Fields f, String upstream, boolean discovered) {
        List<EndpointConfig> out = new ArrayList<>();
        if (!f.require("endpoints")) {
            return out;
        }
        List<Node> items = r.list(f.node("endpoints"), "endpoints");
        if (items == null) {
            return out;
        }
        if (items.isEmpty() && !discovered) {
            r.error(f.node("endpoints"), "upstream '" + upstream + "' has no endpoints (expected at least one)");
        }
        Set<String> seen = new HashSet<>();
        for (Node item : items) {
            Fields e = r.fields(item, "endpoints", "in endpoint", ENDPOINT_KEYS);
            if (e == null || !e.require("address")) {
                continue;
            }
            int weight = e.integer("weight", 1, 1, 1000);
            EndpointConfig ep = e.value("address", null, text -> Addresses.endpoint(text, weight));
            if (ep == null) {
                continue;
            }
            String key = ep.host().toLowerCase(Locale.ROOT) + "|" + ep.port() + "|" + ep.tls() + "|" + ep.basePath();
            if (!seen.add(key)) {
                r.error(e.node("address"), "endpoint '" + ep.address() + "' is listed twice in upstream '"
                        + upstream + "'");
            }
            out.add(ep);
        }
        return out;
    }

    private HealthCheckConfig healthCheck(Node node) {
        HealthCheckConfig d = HealthCheckConfig.DEFAULTS;
        Fields f = r.fields(node, "health_check", "in health_check", HEALTH_CHECK_KEYS);
        if (f == null) {
            return d;
        }
        String path = f.value("path", d.path(), p -> {
            if (!p.startsWith("/")) {
                throw new IllegalArgumentException("bad health_check path '" + p + "' (expected a path starting with '/')");
            }
            return p;
        });
        int[] status = f.value("expect_status", new int[] {d.expectStatusMin(), d.expectStatusMax()},
                UpstreamBinder::statusRange);
        String type = f.value("type", HealthCheckConfig.HTTP, t -> {
            if (!HEALTH_CHECK_TYPES.contains(t)) {
                String hint = Suggestions.didYouMean(t, HEALTH_CHECK_TYPES);
                throw new IllegalArgumentException("unknown health_check type '" + t + "'"
                        + (hint.isEmpty() ? " (expected http or tcp)" : hint));
            }
            return t;
        });
        String host = f.value("host", null, h -> {
            if (h.isBlank() || !h.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("bad health_check host '" + h
                        + "' (expected a host name, optionally with a port, e.g. api.example.com)");
            }
            return h;
        });
        if (type.equals(HealthCheckConfig.TCP)) {
            for (String key : List.of("path", "expect_status", "host")) {
                if (f.has(key)) {
                    r.error(f.keyNode(key), "'" + key + "' is only for health_check type http (this check is tcp)");
                }
            }
        }
        return new HealthCheckConfig(path,
                f.duration("interval", d.interval(), true),
                f.duration("timeout", d.timeout(), true),
                f.integer("healthy_threshold", d.healthyThreshold(), 1, 1000),
                f.integer("unhealthy_threshold", d.unhealthyThreshold(), 1, 1000),
                status[0], status[1], type, host);
    }

    private static int[] statusRange(String s) {
        var m = STATUS_RANGE.matcher(s.strip());
        String expected = " (expected a status such as 200 or a range such as 200-399, within 100-599)";
        if (!m.matches()) {
            throw new IllegalArgumentException("bad expect_status '" + s + "'" + expected);
        }
        int min = Integer.parseInt(m.group(1));
        int max = m.group(2) == null ? min : Integer.parseInt(m.group(2));
        if (min < 100 || max > 599 || min > max) {
            throw new IllegalArgumentException("bad expect_status '" + s + "'" + expected);
        }
        return new int[] {min, max};
    }

    private PassiveConfig passive(Node node) {
        PassiveConfig d = PassiveConfig.DEFAULTS;
        Fields f = r.fields(node, "passive", "in passive", PASSIVE_KEYS);
        if (f == null) {
            return d;
        }
        Set<Integer> onStatus = new LinkedHashSet<>();
        if (f.has("on_status")) {
            List<Node> items = r.list(f.node("on_status"), "on_status");
            for (Node item : items == null ? List.<Node>of() : items) {
                Integer code = r.value(item, "on_status", UpstreamBinder::failureStatus);
                if (code != null) {
                    onStatus.add(code);
                }
            }
        }
        return new PassiveConfig(f.integer("max_failures", d.maxFailures(), 1, 1000),
                f.duration("fail_timeout", d.failTimeout(), true), onStatus);
    }

    private static Integer failureStatus(String s) {
        if (!s.strip().matches("[1-5][0-9][0-9]")) {
            throw new IllegalArgumentException("bad on_status '" + s + "' (expected a status code from 100 to 599, e.g. 503)");
        }
        return Integer.parseInt(s.strip());
    }

    private RetryConfig retry(Node node) {
        Fields f = r.fields(node, "retry", "in retry", RETRY_KEYS);
        if (f == null) {
            return new RetryConfig(1, RetryConfig.DEFAULT_ON);
        }
        int attempts = f.integer("attempts", 1, 0, 100); // 0: no retry (the contract says so)
        Set<String> on = RetryConfig.DEFAULT_ON;
        if (f.has("on")) {
            List<Node> items = r.list(f.node("on"), "on");
            if (items != null && items.isEmpty()) {
                r.error(f.node("on"), "'on' is empty (expected at least one of connect_failure, timeout, reset"
                        + " or a 5xx status)");
            }
            if (items != null && !items.isEmpty()) {
                on = new LinkedHashSet<>();
                for (Node item : items) {
                    String c = r.value(item, "on", UpstreamBinder::retryCondition);
                    if (c != null) {
                        on.add(c);
                    }
                }
            }
        }
        long maxBody = f.value("max_body", RetryConfig.DEFAULT_MAX_BODY, Sizes::parse);
        if (maxBody > Integer.MAX_VALUE) {
            r.error(f.node("max_body"), "max_body " + Sizes.format(maxBody) + " out of range (expected at most 1GiB)");
            maxBody = RetryConfig.DEFAULT_MAX_BODY;
        }
        double budget = f.value("budget", RetryConfig.DEFAULT_BUDGET, s -> percent("budget", s));
        int min = f.integer("min_retries_per_second", RetryConfig.DEFAULT_MIN_RETRIES_PER_SECOND, 0, 1_000_000);
        return new RetryConfig(attempts, on, maxBody, budget, min);
    }

    private static String retryCondition(String s) {
        if (RETRY_CONDITIONS.contains(s) || s.matches("5[0-9][0-9]")) {
            return s;
        }
        if (s.matches("[0-9]{3}")) {
            throw new IllegalArgumentException("retry on status " + s + " is not allowed (expected a 5xx status)");
        }
        String hint = Suggestions.didYouMean(s, RETRY_CONDITIONS);
        throw new IllegalArgumentException("unknown retry condition '" + s + "'"
                + (hint.isEmpty() ? " (expected connect_failure, timeout, reset or a 5xx status such as 503)" : hint));
    }

    private TimeoutsConfig timeouts(Node node) {
        TimeoutsConfig d = TimeoutsConfig.DEFAULTS;
        Fields f = r.fields(node, "timeouts", "in timeouts", TIMEOUT_KEYS);
        if (f == null) {
            return d;
        }
        return new TimeoutsConfig(f.duration("connect", d.connect(), true),
                f.duration("response", d.response(), true),
                f.duration("read", d.read(), true),
                f.duration("idle", d.idle(), true));
    }
}
