package io.sluice.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/** Binds a listener's {@code routes:} list to {@link RouteConfig}s, reporting errors through the reader. */
final class RouteBinder {

    static final List<String> KEYS = List.of("name", "match", "strip_prefix", "request_headers",
            "response_headers", "upstream", "respond", "static", "split", "split_on", "mirror", "filters");
    static final List<String> ACTIONS = List.of("upstream", "split", "respond", "static");
    static final List<String> SPLIT_KEYS = List.of("upstream", "weight");
    static final List<String> MIRROR_KEYS = List.of("upstream", "percent", "max_body", "max_in_flight");
    static final String KEY_EXPECTED = "client_ip, header:NAME, cookie:NAME or query:NAME";
    static final List<String> MATCH_KEYS = List.of("hosts", "path_prefix", "path_regex", "methods", "headers",
            "cookies", "query");
    static final List<String> HEADER_OPS_KEYS = List.of("set", "remove");
    static final List<String> RESPOND_KEYS = List.of("status", "body", "headers");
    static final List<String> STATIC_KEYS = List.of("root");

    static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern HOST = Pattern.compile(
            "(\\*\\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\\.?");
    private static final Pattern IPV6_HOST = Pattern.compile("\\[[0-9a-f:.]+\\]");

    private final YamlReader r;
    private final Set<String> upstreams;
    private final FilterBinder filters;

    /** {@code upstreams}: every upstream name in the file, for reference checks. */
    RouteBinder(YamlReader reader, Set<String> upstreams, FilterBinder filters) {
        this.r = reader;
        this.upstreams = upstreams;
        this.filters = filters;
    }

    List<RouteConfig> bindAll(List<Node> items) {
        List<RouteConfig> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            RouteConfig route = bind(items.get(i), i + 1);
            if (route != null) {
                out.add(route);
            }
        }
        return out;
    }

    private RouteConfig bind(Node node, int index) {
        Fields f = r.fields(node, "routes", "in route", KEYS);
        if (f == null) {
            return null;
        }
        String name = f.name("name", "route-" + index);
        List<String> actions = ACTIONS.stream().filter(f::has).toList();
        if (actions.isEmpty()) {
            r.error(f.at(), "route '" + name + "' needs one of 'upstream', 'split', 'respond' or 'static'");
        } else if (actions.size() > 1) {
            r.error(f.keyNode(actions.get(1)), "route '" + name + "' has both '" + actions.get(0) + "' and '"
                    + actions.get(1) + "' (expected exactly one)");
        }
        MatchConfig match = f.has("match") ? match(f.node("match")) : MatchConfig.ANY;
        String strip = f.value("strip_prefix", null, RouteBinder::pathPrefix);
        HeaderOps request = f.has("request_headers")
                ? headerOps(f.node("request_headers"), "request_headers") : HeaderOps.NONE;
        HeaderOps response = f.has("response_headers")
                ? headerOps(f.node("response_headers"), "response_headers") : HeaderOps.NONE;
        String upstream = null;
        if (f.has("upstream")) {
            upstream = f.name("upstream", null);
            if (upstream != null && !upstreams.contains(upstream)) {
                r.error(f.node("upstream"), unknownUpstream("route '" + name + "'", upstream, upstreams));
            }
        }
        RespondConfig respond = f.has("respond") ? respond(f.node("respond")) : null;
        StaticConfig files = f.has("static") ? staticFiles(f.node("static")) : null;
        List<RouteTraffic.SplitSide> split = f.has("split") ? split(f.node("split"), name) : List.of();
        String splitOn = null;
        if (f.has("split_on")) {
            if (!f.has("split")) {
                r.error(f.keyNode("split_on"), "'split_on' is only for routes with 'split'");
            }
            splitOn = f.value("split_on", null, RouteBinder::requestKey);
        }
        MirrorConfig mirror = null;
        if (f.has("mirror")) {
            if (f.has("respond") || f.has("static")) {
                r.error(f.keyNode("mirror"), "'mirror' is only for routes that forward ('upstream' or 'split')");
            }
            mirror = mirror(f.node("mirror"), name);
        }
        List<FilterConfig> chain = f.has("filters") ? filters.bind(f.node("filters")) : List.of();
        return new RouteConfig(name, match, strip, request, response, upstream, respond, files,
                new RouteTraffic(split, splitOn, mirror), chain);
    }

    private List<RouteTraffic.SplitSide> split(Node node, String route) {
        List<RouteTraffic.SplitSide> out = new ArrayList<>();
        List<Node> items = r.list(node, "split");
        if (items == null) {
            return out;
        }
        if (items.isEmpty()) {
            r.error(node, "'split' of route '" + route + "' is empty (expected at least one side, e.g."
                    + " - { upstream: v2, weight: 1 })");
            return out;
        }
        if (items.size() > 100) {
            r.error(node, "'split' of route '" + route + "' has " + items.size() + " sides (expected at most 100)");
            return out;
        }
        int total = 0;
        for (Node item : items) {
            Fields side = r.fields(item, "split", "in split", SPLIT_KEYS);
            if (side == null || !side.require("upstream")) {
                continue;
            }
            String upstream = side.name("upstream", null);
            if (upstream != null && !upstreams.contains(upstream)) {
                r.error(side.node("upstream"), unknownUpstream("split of route '" + route + "'", upstream, upstreams));
            }
            int weight = side.integer("weight", 1, 0, 1000);
            total += weight;
            if (upstream != null) {
                out.add(new RouteTraffic.SplitSide(upstream, weight));
            }
        }
        if (total == 0 && !out.isEmpty()) {
            r.error(node, "every side of the split of route '" + route + "' has weight 0 (expected at least one"
                    + " above 0)");
        }
        return out;
    }

    /** Checks a key of the gateway vocabulary that names something of the request. */
    static String requestKey(String s) {
        if (s.equals("client_ip")) {
            return s;
        }
        int colon = s.indexOf(':');
        if (colon > 0 && colon < s.length() - 1) {
            String kind = s.substring(0, colon);
            String name = s.substring(colon + 1);
            if ((kind.equals("header") || kind.equals("cookie")) && TOKEN.matcher(name).matches()) {
                return s;
            }
            if (kind.equals("query")) {
                return s;
            }
        }
        String hint = s.equals("source_ip") || s.equals("ip") ? "; did you mean 'client_ip'?" : "";
        throw new IllegalArgumentException("bad key '" + s + "' (expected " + KEY_EXPECTED + hint + ")");
    }

    private MirrorConfig mirror(Node node, String route) {
        Fields f = r.fields(node, "mirror", "in mirror", MIRROR_KEYS);
        if (f == null || !f.require("upstream")) {
            return null;
        }
        String upstream = f.name("upstream", null);
        if (upstream != null && !upstreams.contains(upstream)) {
            r.error(f.node("upstream"), unknownUpstream("mirror of route '" + route + "'", upstream, upstreams));
        }
        double share = f.value("percent", 1.0, s -> UpstreamBinder.percent("percent", s));
        long maxBody = f.value("max_body", MirrorConfig.DEFAULT_MAX_BODY, Sizes::parse);
        if (maxBody > 64L * 1024 * 1024) {
            r.error(f.node("max_body"), "max_body " + Sizes.format(maxBody) + " out of range (expected at most 64MiB:"
                    + " a mirrored body is held in memory until it is complete)");
            maxBody = MirrorConfig.DEFAULT_MAX_BODY;
        }
        int maxInFlight = f.integer("max_in_flight", MirrorConfig.DEFAULT_MAX_IN_FLIGHT, 1, 100_000);
        return upstream == null ? null : new MirrorConfig(upstream, share, maxBody, maxInFlight);
    }

    static String unknownUpstream(String who, String name, Set<String> known) {
        String hint = Suggestions.didYouMean(name, known);
        if (hint.isEmpty()) {
            hint = known.isEmpty() ? " (there are no upstreams)"
                    : " (expected one of " + String.join(", ", known) + ")";
        }
        return who + " refers to unknown upstream '" + name + "'" + hint;
    }

    private static String pathPrefix(String p) {
        if (!p.startsWith("/")) {
            throw new IllegalArgumentException("bad path '" + p + "' (expected a path starting with '/')");
        }
        return p;
    }

    private MatchConfig match(Node node) {
        Fields f = r.fields(node, "match", "in match", MATCH_KEYS);
        if (f == null) {
            return MatchConfig.ANY;
        }
        List<String> hosts = new ArrayList<>();
        if (f.has("hosts")) {
            List<Node> items = r.list(f.node("hosts"), "hosts");
            for (Node item : items == null ? List.<Node>of() : items) {
                String h = r.value(item, "hosts", RouteBinder::host);
                if (h != null) {
                    hosts.add(h);
                }
            }
        }
        String prefix = f.value("path_prefix", null, RouteBinder::pathPrefix);
        Pattern regex = f.value("path_regex", null, RouteBinder::regex);
        List<String> methods = new ArrayList<>();
        if (f.has("methods")) {
            List<Node> items = r.list(f.node("methods"), "methods");
            for (Node item : items == null ? List.<Node>of() : items) {
                String m = r.value(item, "methods", RouteBinder::method);
                if (m != null) {
                    methods.add(m);
                }
            }
        }
        Map<String, String> headers = f.has("headers") ? headerMap(f.node("headers"), "headers") : Map.of();
        Map<String, String> cookies = f.has("cookies")
                ? valueMap(f.node("cookies"), "cookies", RouteBinder::cookieName, RouteBinder::cookieValue) : Map.of();
        Map<String, String> query = f.has("query")
                ? valueMap(f.node("query"), "query", RouteBinder::queryName, v -> v) : Map.of();
        return new MatchConfig(hosts, prefix, regex, methods, headers, cookies, query);
    }

    /** A mapping of names to exact values ({@code match.cookies}, {@code match.query}), in file order. */
    private Map<String, String> valueMap(Node node, String key, java.util.function.Function<String, String> name,
                                         java.util.function.Function<String, String> value) {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, NodeTuple> entries = r.entries(node, key);
        if (entries == null) {
            return out;
        }
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            String n = r.value(e.getValue().getKeyNode(), key, name);
            String v = r.value(e.getValue().getValueNode(), e.getKey(), value);
            if (n != null && v != null) {
                out.put(n, v);
            }
        }
        return out;
    }

    /** RFC 6265: a cookie name is a token. */
    private static String cookieName(String n) {
        if (!TOKEN.matcher(n).matches()) {
            throw new IllegalArgumentException("bad cookie name '" + n + "' (expected a token: letters, digits and !#$%&'*+.^_`|~-)");
        }
        return n;
    }

    /** RFC 6265 cookie-octets: no spaces, quotes, commas, semicolons, backslashes or control characters. */
    private static String cookieValue(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\') {
                throw new IllegalArgumentException("bad cookie value '" + v
                        + "' (no spaces, quotes, commas, semicolons, backslashes or control characters)");
            }
        }
        return v;
    }

    private static String queryName(String n) {
        if (n.isEmpty()) {
            throw new IllegalArgumentException("bad query parameter name '' (expected a non-empty name)");
        }
        return n;
    }

    private static String host(String h) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (!HOST.matcher(lower).matches() && !IPV6_HOST.matcher(lower).matches()) {
            throw new IllegalArgumentException("bad host '" + h
                    + "' (expected a host name without port, optionally starting with '*.', e.g. *.example.org)");
        }
        return lower;
    }

    private static Pattern regex(String s) {
        try {
            return Pattern.compile(s);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("bad path_regex '" + s + "' (" + e.getDescription()
                    + (e.getIndex() >= 0 ? " at index " + e.getIndex() : "") + ")");
        }
    }

    private static String method(String m) {
        if (!TOKEN.matcher(m).matches() || !m.equals(m.toUpperCase(Locale.ROOT))) {
            String upper = m.toUpperCase(Locale.ROOT);
            throw new IllegalArgumentException("bad method '" + m + "' (expected an upper-case token"
                    + (TOKEN.matcher(upper).matches() ? "; did you mean '" + upper + "'?" : ", e.g. GET") + ")");
        }
        return m;
    }

    /** A mapping of header names to values, in file order; bad entries are left out after an error. */
    private Map<String, String> headerMap(Node node, String key) {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, NodeTuple> entries = r.entries(node, key);
        if (entries == null) {
            return out;
        }
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            boolean ok = true;
            if (!TOKEN.matcher(e.getKey()).matches()) {
                r.error(e.getValue().getKeyNode(), "bad header name '" + e.getKey() + "'");
                ok = false;
            }
            String value = r.value(e.getValue().getValueNode(), e.getKey(), RouteBinder::headerValue);
            if (ok && value != null) {
                out.put(e.getKey(), value);
            }
        }
        return out;
    }

    private static String headerValue(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("bad header value (CR, LF and NUL are not allowed)");
            }
        }
        return v;
    }

    private HeaderOps headerOps(Node node, String key) {
        Fields f = r.fields(node, key, "in " + key, HEADER_OPS_KEYS);
        if (f == null) {
            return HeaderOps.NONE;
        }
        Map<String, String> set = f.has("set") ? headerMap(f.node("set"), "set") : Map.of();
        List<String> remove = new ArrayList<>();
        if (f.has("remove")) {
            List<Node> items = r.list(f.node("remove"), "remove");
            for (Node item : items == null ? List.<Node>of() : items) {
                String name = r.value(item, "remove", n -> {
                    if (!TOKEN.matcher(n).matches()) {
                        throw new IllegalArgumentException("bad header name '" + n + "'");
                    }
                    return n;
                });
                if (name != null) {
                    remove.add(name);
                }
            }
        }
        return new HeaderOps(set, remove);
    }

    private RespondConfig respond(Node node) {
        Fields f = r.fields(node, "respond", "in respond", RESPOND_KEYS);
        if (f == null) {
            return new RespondConfig(200, "", Map.of());
        }
        int status = f.integer("status", 200, 100, 599);
        String body = f.string("body", "");
        Map<String, String> headers = f.has("headers") ? headerMap(f.node("headers"), "headers") : Map.of();
        return new RespondConfig(status, body, headers);
    }

    private StaticConfig staticFiles(Node node) {
        Fields f = r.fields(node, "static", "in static", STATIC_KEYS);
        if (f == null || !f.require("root")) {
            return null;
        }
        String text = f.name("root", null);
        if (text == null) {
            return null;
        }
        Path root = r.resolve(text);
        if (!Files.exists(root)) {
            r.error(f.node("root"), "static root '" + text + "' does not exist (resolved to " + root + ")");
        } else if (!Files.isDirectory(root)) {
            r.error(f.node("root"), "static root '" + text + "' is not a directory (resolved to " + root + ")");
        }
        return new StaticConfig(root);
    }
}
