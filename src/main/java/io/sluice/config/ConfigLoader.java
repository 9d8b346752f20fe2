package io.sluice.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads a YAML 1.2 (core schema) configuration file into a validated {@link SluiceConfig}.
 * Collects every error with its line and column instead of stopping at the first.
 *
 * <p>The YAML is composed into a node tree (which keeps positions) and bound to the records by hand:
 * {@link YamlReader} turns nodes into values and records errors, {@link UpstreamBinder} and
 * {@link RouteBinder} bind their parts, and this class binds the rest and runs the checks that span parts
 * (listener names and addresses). Safe to call from any thread; every call is independent.
 */
public final class ConfigLoader {

    static final List<String> TOP_KEYS = List.of("server", "listeners", "upstreams", "admin", "access_log",
            "tracing", "plugins", "redis");
    static final List<String> SERVER_KEYS = List.of("workers", "shutdown_timeout", "max_request_head",
            "client_timeouts", "resolver", "reuse_port", "buffer_budget", "transport");
    static final List<String> TRANSPORTS = List.of("auto", "io_uring", "epoll", "nio");
    static final List<String> CLIENT_TIMEOUT_KEYS = List.of("idle", "request_head", "request_body", "send");
    static final List<String> LISTENER_KEYS = List.of("name", "address", "protocol", "routes", "tls", "upstream",
            "redirect_to_https", "https_port", "idle_timeout", "proxy_protocol", "proxy_protocol_from", "forward_proxy", "http3",
            "filters");
    static final List<String> FORWARD_PROXY_KEYS = List.of("allow", "deny", "auth");
    static final List<String> FORWARD_PROXY_AUTH_KEYS = List.of("users_file", "realm");
    static final List<String> TLS_KEYS = List.of("certificates", "provider", "protocols", "ciphers", "client_ca",
            "client_auth", "reload_interval", "acme");
    static final List<String> ACME_KEYS = List.of("directory", "email", "domains", "storage", "challenge",
            "renew_before", "trust_ca", "check_interval");
    static final List<String> CERTIFICATE_KEYS = List.of("cert", "key");
    static final List<String> ADMIN_KEYS = List.of("address", "token", "token_file", "hosts");
    static final List<String> PROTOCOLS = List.of("http", "https", "tcp");
    static final long MIN_REQUEST_HEAD = 1024;
    static final long MAX_REQUEST_HEAD = 1024 * 1024;
    static final long MIN_BUFFER_BUDGET = 1024 * 1024;

    private ConfigLoader() {
    }

    /** Loads and validates {@code file}; relative paths in it resolve against its directory. */
    public static SluiceConfig load(Path file) throws ConfigException {
        return load(file, System.getenv());
    }

    /** As {@link #load(Path)}, expanding {@code ${NAME}} from {@code env} instead of the process environment. */
    public static SluiceConfig load(Path file, Map<String, String> env) throws ConfigException {
        String name = file.toString();
        String text;
        try {
            if (Files.isDirectory(file)) {
                throw fileError(name, "cannot read the configuration: it is a directory");
            }
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw fileError(name, "cannot read the configuration: no such file");
        } catch (AccessDeniedException e) {
            throw fileError(name, "cannot read the configuration: permission denied");
        } catch (MalformedInputException e) {
            throw fileError(name, "cannot read the configuration: it is not valid UTF-8");
        } catch (IOException e) {
            throw fileError(name, "cannot read the configuration: " + e.getMessage());
        }
        return parse(text, file, env);
    }

    /**
     * Parses {@code yaml} as if it were the content of {@code file} (used for error messages and for
     * resolving relative paths; the file itself is not read).
     */
    public static SluiceConfig parse(String yaml, Path file) throws ConfigException {
        return parse(yaml, file, System.getenv());
    }

    /** As {@link #parse(String, Path)}, expanding {@code ${NAME}} from {@code env}. */
    public static SluiceConfig parse(String yaml, Path file, Map<String, String> env) throws ConfigException {
        String name = file == null ? "<config>" : file.toString();
        Path dir = file == null ? null : file.toAbsolutePath().getParent();
        YamlReader r = new YamlReader(name, dir == null ? Path.of("").toAbsolutePath() : dir, env);
        Node root;
        try {
            LoadSettings settings = LoadSettings.builder()
                    .setSchema(new CoreSchema())
                    .setLabel(name)
                    .setUseMarks(true)
                    .setAllowDuplicateKeys(false)
                    .build();
            String text = yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml;
            root = new Compose(settings).composeString(text).orElse(null);
        } catch (MarkedYamlEngineException e) {
            r.error(e.getProblemMark().orElse(e.getContextMark().orElse(null)), syntaxMessage(e));
            throw new ConfigException(r.errors());
        } catch (YamlEngineException e) {
            r.error((org.snakeyaml.engine.v2.exceptions.Mark) null, "bad YAML: " + e.getMessage());
            throw new ConfigException(r.errors());
        } catch (IllegalArgumentException e) { // snakeyaml-engine's check of a tag's value (found by fuzzing)
            throw badTag(r, yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml, name, e);
        }
        if (root == null) {
            r.error((org.snakeyaml.engine.v2.exceptions.Mark) null,
                    "the configuration is empty (expected at least 'listeners')");
            throw new ConfigException(r.errors());
        }
        SluiceConfig config = bind(r, root, file);
        if (r.hasErrors() || config == null) {
            throw new ConfigException(r.errors());
        }
        return config.withExpanded(r.expanded());
    }

    /**
     * Reads the settings of one filter of {@code factory}'s type from {@code yaml} (the mapping after the type,
     * e.g. {@code "{ rate: 10/s }"}), as a configuration file would: for tests of a filter (the test kit).
     */
    public static <C> C parseFilterSettings(io.sluice.filter.api.FilterFactory<C> factory, String yaml)
            throws ConfigException {
        YamlReader r = new YamlReader("<filter settings>", Path.of("").toAbsolutePath(), Map.of());
        Node node;
        try {
            LoadSettings settings = LoadSettings.builder().setSchema(new CoreSchema()).setUseMarks(true)
                    .setAllowDuplicateKeys(false).build();
            node = new Compose(settings).composeString(yaml).orElse(null);
        } catch (YamlEngineException e) {
            r.error((org.snakeyaml.engine.v2.exceptions.Mark) null, "bad YAML: " + e.getMessage());
            throw new ConfigException(r.errors());
        } catch (IllegalArgumentException e) { // a tag's value snakeyaml-engine refuses (see parse)
            throw badTag(r, yaml, "<filter settings>", e);
        }
        Fields f = r.fields(node, factory.type(), "in " + factory.type(), factory.keys());
        C settings = f == null ? null : factory.configure(new YamlFilterSettings(r, f, factory.type()));
        if (r.hasErrors() || settings == null) {
            if (!r.hasErrors()) {
                r.error(node, "filter '" + factory.type() + "' refused its settings");
            }
            throw new ConfigException(r.errors());
        }
        return settings;
    }

    private static ConfigException fileError(String file, String message) {
        return new ConfigException(List.of(new ConfigError(file, 1, 1, message)));
    }

    /** The error for a tag snakeyaml-engine refused with {@code e}, at that tag when it can be found. */
    private static ConfigException badTag(YamlReader r, String text, String name, IllegalArgumentException e) {
        r.error(badTagMark(text, name), "bad YAML: a tag (the '!' and what follows it) that is not valid: "
                + e.getMessage() + " (Sluice's configuration needs no tags: remove it)");
        return new ConfigException(r.errors());
    }

    /**
     * Where the tag is that snakeyaml-engine refused with an {@link IllegalArgumentException} (which carries
     * no position): the first one whose value ends or starts with a space or a control character once its
     * escapes are decoded, else the first tag; null when the text has none to show.
     */
    private static org.snakeyaml.engine.v2.exceptions.Mark badTagMark(String text, String name) {
        LoadSettings settings = LoadSettings.builder().setLabel(name).setUseMarks(true).build();
        org.snakeyaml.engine.v2.exceptions.Mark first = null;
        try {
            var scanner = new org.snakeyaml.engine.v2.scanner.ScannerImpl(settings,
                    new org.snakeyaml.engine.v2.scanner.StreamReader(settings, text));
            while (scanner.hasNext()) {
                if (scanner.next() instanceof org.snakeyaml.engine.v2.tokens.TagToken tag) {
                    var mark = tag.getStartMark().orElse(null);
                    String value = tag.getValue().getHandle().orElse("") + tag.getValue().getSuffix();
                    if (value.trim().length() != value.length()) {
                        return mark;
                    }
                    first = first == null ? mark : first;
                }
            }
        } catch (RuntimeException e) {
            // the text fails further on; the tags seen so far are all there is to point at
        }
        return first;
    }

    private static String syntaxMessage(MarkedYamlEngineException e) {
        String problem = e.getProblem() == null ? "" : e.getProblem().strip();
        String context = e.getContext() == null ? "" : e.getContext().strip();
        String msg = context.isEmpty() ? problem : problem.isEmpty() ? context : context + ": " + problem;
        msg = "bad YAML: " + msg.replaceAll("\\s+", " ");
        var problemMark = e.getProblemMark().orElse(null);
        var contextMark = e.getContextMark().orElse(null);
        if (problemMark != null && contextMark != null && contextMark.getLine() != problemMark.getLine()) {
            msg += " (what is unclosed started at line " + (contextMark.getLine() + 1) + ", column "
                    + (contextMark.getColumn() + 1) + ")";
        }
        return msg;
    }

    private static SluiceConfig bind(YamlReader r, Node root, Path file) {
        Fields top = r.fields(root, "configuration", "at the top level", TOP_KEYS);
        if (top == null) {
            return null;
        }
        Set<String> upstreamNames = new LinkedHashSet<>();
        Map<String, UpstreamConfig> upstreams = top.has("upstreams")
                ? new UpstreamBinder(r, top.has("redis")).bindAll(top.node("upstreams"), upstreamNames) : Map.of();
        ServerConfig server = top.has("server") ? server(r, top.node("server")) : ServerConfig.DEFAULTS;
        RedisConfig redis = top.has("redis") ? redis(r, top.node("redis")) : null;
        FilterBinder filters = new FilterBinder(r, top.has("plugins") ? plugins(r, top.node("plugins"))
                : io.sluice.filter.FilterTypes.classPath(), top.has("redis"));
        List<Bound> listeners = new ArrayList<>();
        if (top.require("listeners")) {
            List<Node> items = r.list(top.node("listeners"), "listeners");
            if (items != null && items.isEmpty()) {
                r.error(top.node("listeners"), "'listeners' is empty (expected at least one listener)");
            }
            for (int i = 0; items != null && i < items.size(); i++) {
                Bound b = listener(r, items.get(i), i + 1, upstreamNames, filters);
                if (b != null) {
                    listeners.add(b);
                }
            }
        }
        AdminConfig[] adminConfig = new AdminConfig[1];
        Bound admin = top.has("admin") ? admin(r, top.node("admin"), adminConfig) : null;
        AccessLogConfig accessLog = top.has("access_log") ? ObserveBinder.accessLog(r, top.node("access_log")) : null;
        TracingConfig tracing = top.has("tracing") ? ObserveBinder.tracing(r, top.node("tracing")) : null;
        crossCheck(r, listeners, admin);
        if (r.hasErrors()) {
            return null;
        }
        return new SluiceConfig(file, server, listeners.stream().map(b -> b.listener).toList(), upstreams,
                admin == null ? null : adminConfig[0], accessLog, tracing, null, redis);
    }

    /** {@code redis: { address, timeout }}. */
    private static RedisConfig redis(YamlReader r, Node node) {
        Fields f = r.fields(node, "redis", "in redis", List.of("address", "timeout"));
        if (f == null || !f.require("address")) {
            return null;
        }
        String address = f.value("address", null, a -> {
            String t = a.strip();
            java.net.URI u;
            try {
                u = new java.net.URI(t);
            } catch (java.net.URISyntaxException e) {
                u = null;
            }
            if (u == null || !("redis".equals(u.getScheme()) || "rediss".equals(u.getScheme())) || u.getHost() == null) {
                throw new IllegalArgumentException("bad redis address '" + a + "' (expected redis://[:password@]host:port[/db]"
                        + " or rediss:// for TLS)");
            }
            return t;
        });
        Duration timeout = f.duration("timeout", RedisConfig.DEFAULT_TIMEOUT, true);
        return address == null ? null : new RedisConfig(address, timeout);
    }

    /** A bound listener (or the admin block) with the nodes the cross checks point at. */
    private record Bound(ListenerConfig listener, HostPort address, Node nameNode, Node addressNode) {
    }

    /** {@code plugins:}: jars (relative to the file) whose filter types join the built-in ones. */
    private static io.sluice.filter.FilterTypes plugins(YamlReader r, Node node) {
        io.sluice.filter.FilterTypes types = io.sluice.filter.FilterTypes.classPath();
        List<Node> items = r.list(node, "plugins");
        for (Node item : items == null ? List.<Node>of() : items) {
            String text = r.text(item, "plugins");
            if (text == null) {
                continue;
            }
            List<io.sluice.filter.api.FilterFactory<?>> found;
            try {
                found = io.sluice.filter.Plugins.load(r.resolve(text));
            } catch (IllegalArgumentException e) {
                r.error(item, e.getMessage());
                continue;
            }
            for (io.sluice.filter.api.FilterFactory<?> f : found) {
                if (types.get(f.type()) != null) {
                    r.error(item, "plugin jar '" + text + "' provides filter '" + f.type()
                            + "', which is already defined (by " + types.get(f.type()).getClass().getName() + ")");
                }
            }
            types = types.with(found);
        }
        return types;
    }

    private static ServerConfig server(YamlReader r, Node node) {
        ServerConfig d = ServerConfig.DEFAULTS;
        Fields f = r.fields(node, "server", "in server", SERVER_KEYS);
        if (f == null) {
            return d;
        }
        int workers = f.integer("workers", d.workers(), 0, Integer.MAX_VALUE);
        long head = f.value("max_request_head", (long) d.maxRequestHead(), Sizes::parse);
        if (head < MIN_REQUEST_HEAD || head > MAX_REQUEST_HEAD) {
            r.error(f.node("max_request_head"), "max_request_head " + Sizes.format(head)
                    + " out of range (expected 1KiB to 1MiB)");
            head = d.maxRequestHead();
        }
        ClientTimeoutsConfig clientTimeouts = f.has("client_timeouts")
                ? clientTimeouts(r, f.node("client_timeouts")) : d.clientTimeouts();
        ResolverConfig resolver = f.has("resolver") ? ResolverBinder.resolver(r, f.node("resolver")) : d.resolver();
        boolean reusePort = f.value("reuse_port", d.reusePort(), UpstreamBinder::bool);
        long budget = f.value("buffer_budget", d.bufferBudget(), Sizes::parse);
        if (budget > 0 && budget < MIN_BUFFER_BUDGET) {
            r.error(f.node("buffer_budget"), "buffer_budget " + Sizes.format(budget)
                    + " is too small (expected 1MiB or more; leave it out for half of the JVM's direct memory)");
            budget = d.bufferBudget();
        }
        String transport = f.string("transport", d.transport());
        if (!TRANSPORTS.contains(transport)) {
            r.error(f.node("transport"), "unknown transport '" + transport + "' (expected one of "
                    + String.join(", ", TRANSPORTS) + "; auto takes io_uring, then epoll, then nio, whichever works here)");
            transport = d.transport();
        }
        return new ServerConfig(workers, f.duration("shutdown_timeout", d.shutdownTimeout(), false), (int) head,
                clientTimeouts, resolver, reusePort, budget, transport);
    }

    private static ClientTimeoutsConfig clientTimeouts(YamlReader r, Node node) {
        ClientTimeoutsConfig d = ClientTimeoutsConfig.DEFAULTS;
        Fields f = r.fields(node, "client_timeouts", "in client_timeouts", CLIENT_TIMEOUT_KEYS);
        if (f == null) {
            return d;
        }
        return new ClientTimeoutsConfig(f.duration("idle", d.idle(), true),
                f.duration("request_head", d.requestHead(), true),
                f.duration("request_body", d.requestBody(), true),
                f.duration("send", d.send(), true));
    }

    /** Binds the admin block; its {@link AdminConfig} goes to {@code out[0]}. */
    private static Bound admin(YamlReader r, Node node, AdminConfig[] out) {
        Fields f = r.fields(node, "admin", "in admin", ADMIN_KEYS);
        if (f == null || !f.require("address")) {
            return null;
        }
        HostPort address = f.value("address", null, Addresses::listen);
        if (address == null) {
            return null;
        }
        String token = f.string("token", null);
        if (f.has("token") && f.has("token_file")) {
            r.error(f.keyNode("token_file"), "give admin.token or admin.token_file, not both");
        } else if (f.has("token_file")) {
            Path file = f.path("token_file");
            try {
                token = Files.readString(file).strip();
            } catch (IOException | RuntimeException e) {
                r.error(f.node("token_file"), "cannot read the admin token from " + file + ": " + e.getMessage());
            }
        }
        if (token != null && token.isBlank()) {
            r.error(f.has("token") ? f.node("token") : f.node("token_file"), "the admin token is empty");
            token = null;
        }
        out[0] = new AdminConfig(address, token, f.strings("hosts"));
        return new Bound(null, address, null, f.node("address"));
    }

    private static Protocol protocol(String s) {
        if (PROTOCOLS.contains(s)) {
            return Protocol.valueOf(s.toUpperCase(Locale.ROOT));
        }
        String hint = Suggestions.didYouMean(s, PROTOCOLS);
        throw new IllegalArgumentException("unknown protocol '" + s + "'"
                + (hint.isEmpty() ? " (expected http, https or tcp)" : hint));
    }

    private static Bound listener(YamlReader r, Node node, int index, Set<String> upstreamNames,
                                FilterBinder filterBinder) {
        Fields f = r.fields(node, "listeners", "in listener", LISTENER_KEYS);
        if (f == null) {
            return null;
        }
        String name = f.name("name", "listener-" + index);
        HostPort address = f.require("address") ? f.value("address", null, Addresses::listen) : null;
        Protocol protocol = f.value("protocol", null, ConfigLoader::protocol);
        if (protocol == null) {
            if (f.has("protocol")) {
                // the bad protocol was reported; checking the rest against a guess would only add noise
                return null;
            }
            protocol = Protocol.HTTP;
        }
        Node where = f.has("protocol") ? f.node("protocol") : f.at();
        String who = protocol.name().toLowerCase(Locale.ROOT) + " listener '" + name + "'";

        TlsConfig tls = null;
        if (protocol == Protocol.HTTPS) {
            if (f.has("tls")) {
                tls = tls(r, f.node("tls"));
            } else {
                r.error(where, who + " needs 'tls' with at least one certificate or 'acme'");
            }
        } else if (f.has("tls")) {
            r.error(f.keyNode("tls"), "'tls' is only for https listeners (" + who + ")");
        }

        List<RouteConfig> routes = List.of();
        String upstream = null;
        ForwardProxyConfig forwardProxy = null;
        if (f.has("forward_proxy")) {
            if (protocol != Protocol.HTTP) {
                r.error(f.keyNode("forward_proxy"), "'forward_proxy' is only for http listeners (" + who + ")");
            } else {
                forwardProxy = ForwardProxyBinder.bind(r, f.node("forward_proxy"));
                if (f.has("routes")) {
                    r.error(f.keyNode("routes"), "a listener with 'forward_proxy' has no 'routes' (" + who
                            + " forwards to the destinations its clients name)");
                }
            }
        }
        if (forwardProxy != null || (f.has("forward_proxy") && protocol == Protocol.HTTP)) {
            if (f.has("upstream")) {
                r.error(f.keyNode("upstream"), "'upstream' is only for tcp listeners (" + who
                        + " forwards to the destinations its clients name)");
            }
        } else if (protocol == Protocol.TCP) {
            if (f.has("routes")) {
                r.error(f.keyNode("routes"), "'routes' is only for http and https listeners (tcp listeners"
                        + " forward to 'upstream')");
            }
            if (f.has("upstream")) {
                upstream = f.name("upstream", null);
                if (upstream != null && !upstreamNames.contains(upstream)) {
                    r.error(f.node("upstream"), RouteBinder.unknownUpstream("listener '" + name + "'", upstream,
                            upstreamNames));
                }
            } else {
                r.error(where, who + " needs 'upstream' (where its connections go)");
            }
        } else {
            if (f.has("upstream")) {
                r.error(f.keyNode("upstream"), "'upstream' is only for tcp listeners (" + who
                        + " uses routes)");
            }
            if (f.has("routes")) {
                List<Node> items = r.list(f.node("routes"), "routes");
                if (items != null && items.isEmpty()) {
                    r.error(f.node("routes"), "'routes' is empty (expected at least one route)");
                }
                if (items != null) {
                    routes = new RouteBinder(r, upstreamNames, filterBinder).bindAll(items);
                }
            } else {
                r.error(where, who + " needs 'routes'");
            }
        }
        boolean redirect = f.value("redirect_to_https", Boolean.FALSE, UpstreamBinder::bool);
        int httpsPort = f.integer("https_port", 443, 1, 65535);
        for (String key : List.of("redirect_to_https", "https_port")) {
            if (f.has(key) && protocol != Protocol.HTTP) {
                r.error(f.keyNode(key), "'" + key + "' is only for http listeners (" + who + ")");
            }
        }
        Duration idleTimeout = f.duration("idle_timeout", ListenerConfig.DEFAULT_TCP_IDLE, true);
        if (f.has("idle_timeout") && protocol != Protocol.TCP && !f.has("forward_proxy")) {
            r.error(f.keyNode("idle_timeout"), "'idle_timeout' is only for tcp listeners and forward proxies (" + who
                    + ": see server.client_timeouts)");
        }
        boolean proxyProtocol = f.value("proxy_protocol", Boolean.FALSE, UpstreamBinder::bool);
        List<Cidr> proxyProtocolFrom = new ArrayList<>();
        if (f.has("proxy_protocol_from")) {
            List<Node> items = r.list(f.node("proxy_protocol_from"), "proxy_protocol_from");
            for (int i = 0; items != null && i < items.size(); i++) {
                Cidr c = r.value(items.get(i), "proxy_protocol_from", Cidr::parse);
                if (c != null) {
                    proxyProtocolFrom.add(c);
                }
            }
            if (items != null && items.isEmpty()) {
                r.error(f.node("proxy_protocol_from"), "'proxy_protocol_from' is empty (leave it out to take a"
                        + " header from every peer)");
            }
            if (!proxyProtocol) {
                r.error(f.keyNode("proxy_protocol_from"), "'proxy_protocol_from' needs 'proxy_protocol: true'");
            }
        }
        boolean http3 = f.value("http3", Boolean.FALSE, UpstreamBinder::bool);
        if (http3 && protocol != Protocol.HTTPS) {
            r.error(f.keyNode("http3"), "'http3' is only for https listeners (" + who + "): HTTP/3 is QUIC, which"
                    + " is always TLS 1.3");
        } else if (http3 && tls != null && tls.certificates().isEmpty()) {
            r.error(f.keyNode("http3"), "'http3' needs tls.certificates (" + who + "): HTTP/3 does not serve the"
                    + " ACME certificate yet");
        }
        List<FilterConfig> filters = List.of();
        if (f.has("filters")) {
            if (protocol == Protocol.TCP || f.has("forward_proxy")) {
                r.error(f.keyNode("filters"), "'filters' is only for http and https listeners with routes (" + who + ")");
            } else {
                filters = filterBinder.bind(f.node("filters"));
            }
        }
        if (address == null) {
            return null;
        }
        Node nameNode = f.has("name") ? f.node("name") : f.at();
        return new Bound(new ListenerConfig(name, address, protocol, routes, tls, upstream, redirect, httpsPort,
                idleTimeout, proxyProtocol, proxyProtocolFrom, forwardProxy, filters, http3),
                address, nameNode, f.node("address"));
    }

    private static TlsConfig tls(YamlReader r, Node node) {
        Fields f = r.fields(node, "tls", "in tls", TLS_KEYS);
        if (f == null) {
            return null;
        }
        TlsConfig.Acme acme = f.has("acme") ? acme(r, f.node("acme")) : null;
        if (!f.has("acme") && !f.require("certificates")) {
            return null;
        }
        List<Node> items = f.has("certificates") ? r.list(f.node("certificates"), "certificates") : List.of();
        if (items == null) {
            return null;
        }
        if (items.isEmpty() && f.has("certificates")) {
            r.error(f.node("certificates"), "'certificates' is empty (expected at least one {cert, key})");
        }
        List<TlsConfig.Certificate> certs = new ArrayList<>();
        for (Node item : items) {
            Fields c = r.fields(item, "certificates", "in certificate", CERTIFICATE_KEYS);
            if (c == null) {
                continue;
            }
            boolean both = c.require("cert") & c.require("key");
            java.nio.file.Path cert = existingFile(r, c, "cert", "certificate");
            java.nio.file.Path key = existingFile(r, c, "key", "key");
            if (both && cert != null && key != null) {
                certs.add(new TlsConfig.Certificate(cert, key));
                checkPair(r, c, "cert", cert, "certificate", "key", key, "key");
            }
        }
        String provider = f.value("provider", null, ConfigLoader::tlsProvider);
        List<String> protocols = f.strings("protocols");
        for (String p : protocols) {
            if (!TlsConfig.PROTOCOLS.contains(p)) {
                r.error(f.node("protocols"), "unsupported TLS protocol '" + p + "' (expected TLSv1.2 and/or TLSv1.3)");
            }
        }
        if (f.has("protocols") && protocols.isEmpty()) {
            r.error(f.node("protocols"), "'protocols' is empty (expected TLSv1.2 and/or TLSv1.3)");
        }
        List<String> ciphers = f.strings("ciphers");
        Path clientCa = existingCertificates(r, f, "client_ca", "client CA");
        TlsConfig.ClientAuth clientAuth = f.value("client_auth", null, ConfigLoader::clientAuth);
        if (clientAuth != null && clientCa == null && f.has("client_auth")) {
            r.error(f.node("client_auth"), "'client_auth' needs 'client_ca' (the CA that signs client certificates)");
        }
        if (clientAuth == null) {
            clientAuth = clientCa == null ? TlsConfig.ClientAuth.NONE : TlsConfig.ClientAuth.REQUIRE;
        }
        java.time.Duration reload = f.duration("reload_interval", TlsConfig.DEFAULT_RELOAD_INTERVAL, true);
        return new TlsConfig(certs, provider, protocols, ciphers, clientCa, clientAuth, reload, acme);
    }

    /** {@code tls.acme}; null (with errors reported) when it cannot be used. */
    private static TlsConfig.Acme acme(YamlReader r, Node node) {
        Fields f = r.fields(node, "acme", "in acme", ACME_KEYS);
        if (f == null) {
            return null;
        }
        boolean complete = f.require("directory") & f.require("domains") & f.require("storage");
        String directory = f.value("directory", null, ConfigLoader::acmeDirectory);
        String email = f.value("email", null, ConfigLoader::acmeEmail);
        List<String> domains = new ArrayList<>();
        for (String d : f.strings("domains")) {
            String name = d.trim().toLowerCase(Locale.ROOT);
            if (!ACME_DOMAIN.matcher(name).matches()) {
                r.error(f.node("domains"), "'" + d + "' is not a domain name ACME can certify"
                        + (name.startsWith("*.") ? " (wildcards need DNS-01, which is not supported)" : ""));
            } else if (!domains.contains(name)) {
                domains.add(name);
            }
        }
        if (f.has("domains") && f.strings("domains").isEmpty()) {
            r.error(f.node("domains"), "'domains' is empty (expected at least one domain name)");
        }
        java.nio.file.Path storage = f.path("storage");
        if (storage != null && java.nio.file.Files.exists(storage) && !java.nio.file.Files.isDirectory(storage)) {
            r.error(f.node("storage"), "storage '" + storage + "' is not a directory");
        }
        TlsConfig.Challenge challenge = f.value("challenge", null, ConfigLoader::acmeChallenge);
        java.time.Duration renewBefore = f.duration("renew_before", TlsConfig.Acme.DEFAULT_RENEW_BEFORE, true);
        java.nio.file.Path trustCa = existingCertificates(r, f, "trust_ca", "trust_ca");
        java.time.Duration check = f.duration("check_interval", TlsConfig.Acme.DEFAULT_CHECK_INTERVAL, true);
        if (!complete || directory == null || domains.isEmpty() || storage == null) {
            return null;
        }
        return new TlsConfig.Acme(directory, email, domains, storage, challenge, renewBefore, trustCa, check);
    }

    private static final java.util.regex.Pattern ACME_DOMAIN = java.util.regex.Pattern.compile(
            "(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private static String acmeDirectory(String s) {
        java.net.URI uri;
        try {
            uri = new java.net.URI(s);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + s + "' is not a URL (expected the ACME directory, e.g. "
                    + "https://acme-v02.api.letsencrypt.org/directory)");
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !"acme".equalsIgnoreCase(uri.getScheme())
                || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + s + "' is not an https:// (or acme://) URL of an ACME directory");
        }
        return s;
    }

    private static String acmeEmail(String s) {
        if (!s.matches("[^@\\s:]+@[^@\\s]+")) {
            throw new IllegalArgumentException("'" + s + "' is not an email address");
        }
        return s;
    }

    private static TlsConfig.Challenge acmeChallenge(String s) {
        for (TlsConfig.Challenge c : TlsConfig.Challenge.values()) {
            if (c.text.equals(s)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown ACME challenge '" + s + "' (expected http-01 or tls-alpn-01)");
    }

    private static String tlsProvider(String s) {
        if (!TlsConfig.PROVIDERS.contains(s)) {
            throw new IllegalArgumentException("unknown TLS provider '" + s + "' (expected openssl or jdk)");
        }
        return s;
    }

    private static TlsConfig.ClientAuth clientAuth(String s) {
        return switch (s) {
            case "require" -> TlsConfig.ClientAuth.REQUIRE;
            case "optional" -> TlsConfig.ClientAuth.OPTIONAL;
            case "none" -> TlsConfig.ClientAuth.NONE;
            default -> throw new IllegalArgumentException("unknown client_auth '" + s
                    + "' (expected require, optional or none)");
        };
    }

    private static boolean readable(Path p) {
        return Files.isRegularFile(p) && Files.isReadable(p);
    }

    /** {@link #existingFile} for a file of PEM certificates (a CA): also reports one that holds none. */
    static Path existingCertificates(YamlReader r, Fields f, String key, String what) {
        Path p = existingFile(r, f, key, what);
        if (p != null && readable(p)) {
            String problem = CertificateFiles.certificates(p);
            if (problem != null) {
                r.error(f.node(key), what + " file '" + f.name(key, null) + "' " + problem);
            }
        }
        return p;
    }

    /**
     * Reports a certificate and key file (both given and readable) that do not load or do not pair, at the
     * value of the key the problem is in; the TLS context would otherwise fail at start or on every handshake.
     */
    static void checkPair(YamlReader r, Fields f, String certKey, Path cert, String certWhat, String keyKey, Path key,
                          String keyWhat) {
        if (cert == null || key == null || !readable(cert) || !readable(key)) {
            return;
        }
        CertificateFiles.Problem p = CertificateFiles.check(cert, key);
        if (p != null) {
            String at = p.inKey() ? keyKey : certKey;
            r.error(f.node(at), (p.inKey() ? keyWhat : certWhat) + " file '" + f.name(at, null) + "' " + p.message());
        }
    }

    static Path existingFile(YamlReader r, Fields f, String key, String what) {
        if (!f.has(key)) {
            return null;
        }
        String text = f.name(key, null);
        if (text == null) {
            return null;
        }
        Path p = r.resolve(text);
        if (!Files.exists(p)) {
            r.error(f.node(key), what + " file '" + text + "' does not exist (resolved to " + p + ")");
        } else if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            r.error(f.node(key), what + " file '" + text + "' is not a readable file (resolved to " + p + ")");
        }
        return p;
    }

    private static void crossCheck(YamlReader r, List<Bound> listeners, Bound admin) {
        Map<String, Bound> byName = new HashMap<>();
        Map<HostPort, Bound> byAddress = new HashMap<>();
        for (Bound b : listeners) {
            Bound first = byName.putIfAbsent(b.listener.name(), b);
            if (first != null) {
                r.error(b.nameNode, "duplicate listener name '" + b.listener.name() + "' (first on line "
                        + line(first.nameNode) + ")");
            }
            if (b.address.port() != 0) {
                Bound same = byAddress.putIfAbsent(b.address, b);
                if (same != null) {
                    r.error(b.addressNode, "listener '" + b.listener.name() + "' has the same address as listener '"
                            + same.listener.name() + "' (" + b.address + ")");
                }
            }
        }
        if (admin != null && admin.address.port() != 0 && byAddress.containsKey(admin.address)) {
            r.error(admin.addressNode, "the admin address is the same as listener '"
                    + byAddress.get(admin.address).listener.name() + "' (" + admin.address + ")");
        }
    }

    private static int line(Node node) {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(1);
    }
}
