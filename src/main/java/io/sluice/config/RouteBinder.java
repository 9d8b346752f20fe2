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
            "response_headers", "upstream", "respond", "static", "filters");
    static final List<String> ACTIONS = List.of("upstream", "respond", "static");
    static final List<String> MATCH_KEYS = List.of("hosts", "path_prefix", "path_regex", "methods", "headers");
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
            r.error(f.at(), "route '" + name + "' needs one of 'upstream', 'respond' or 'static'");
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
        List<FilterConfig> chain = f.has("filters") ? filters.bind(f.node("filters")) : List.of();
        return new RouteConfig(name, match, strip, request, response, upstream, respond, files, chain);
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
        return new MatchConfig(hosts, prefix, regex, methods, headers);
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
