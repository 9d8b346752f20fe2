package io.sluice.route;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.sluice.config.HeaderOps;
import io.sluice.config.MatchConfig;
import io.sluice.config.RespondConfig;
import io.sluice.config.RouteConfig;
import io.sluice.filter.FilterChain;
import io.sluice.response.StaticFiles;
import io.sluice.config.MirrorConfig;
import io.sluice.upstream.ForwardingRoute;
import io.sluice.upstream.Mirror;
import io.sluice.upstream.Upstream;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One compiled route: its match conditions (all given must hold) and its action. Immutable; built once
 * per configuration so matching does no parsing.
 */
public final class Route implements ForwardingRoute {
    private final String name;
    private final HostMatcher hosts;
    private final String pathPrefix;
    private final Pattern pathRegex;
    private final Set<HttpMethod> methods;
    private final Map.Entry<String, String>[] headers;
    private final Map.Entry<String, String>[] cookies;
    private final Map.Entry<String, String>[] query;
    private final String stripPrefix;
    private final HeaderOps requestHeaders;
    private final HeaderOps responseHeaders;
    private final RouteAction action;
    private final Upstream upstream;
    /** Null unless the route has {@code split:}. */
    private final Split split;
    /** Null unless the route has {@code mirror:}. */
    private final Mirror mirror;
    private final RespondConfig respond;
    private final StaticFiles staticFiles;
    private final FilterChain filters;

    /**
     * A route whose upstreams (its {@code upstream:}, its split's sides) are looked up by name in
     * {@code upstreams}; {@code filters}: the whole chain its requests pass (the listener's filters first).
     */
    public Route(RouteConfig config, java.util.function.Function<String, Upstream> upstreams, FilterChain filters) {
        this(config, config.upstream() == null ? null : upstreams.apply(config.upstream()), upstreams, filters);
    }

    /** A route whose upstreams are looked up by name in {@code upstreams}, without filters. */
    public Route(RouteConfig config, java.util.function.Function<String, Upstream> upstreams) {
        this(config, upstreams, FilterChain.EMPTY);
    }

    /** A route without a split or filters. */
    public Route(RouteConfig config, Upstream upstream) {
        this(config, upstream, name -> {
            throw new IllegalArgumentException("no upstreams given for the split of route " + config.name());
        }, FilterChain.EMPTY);
    }

    @SuppressWarnings("unchecked")
    private Route(RouteConfig config, Upstream upstream, java.util.function.Function<String, Upstream> upstreams,
                  FilterChain filters) {
        this.filters = filters;
        MatchConfig match = config.match() == null ? MatchConfig.ANY : config.match();
        this.name = config.name();
        this.hosts = match.hosts().isEmpty() ? null : new HostMatcher(match.hosts());
        this.pathPrefix = match.pathPrefix();
        this.pathRegex = match.pathRegex();
        this.methods = match.methods().isEmpty() ? null
                : Set.copyOf(match.methods().stream().map(HttpMethod::valueOf).toList());
        this.headers = match.headers().entrySet().toArray(new Map.Entry[0]);
        this.cookies = match.cookies().entrySet().toArray(new Map.Entry[0]);
        this.query = match.query().entrySet().toArray(new Map.Entry[0]);
        this.stripPrefix = config.stripPrefix() == null || config.stripPrefix().isEmpty() ? null : config.stripPrefix();
        this.requestHeaders = config.requestHeaders() == null ? HeaderOps.NONE : config.requestHeaders();
        this.responseHeaders = config.responseHeaders() == null ? HeaderOps.NONE : config.responseHeaders();
        this.respond = config.respond();
        this.staticFiles = config.staticFiles() == null ? null : new StaticFiles(config.staticFiles().root());
        this.upstream = upstream;
        this.split = config.traffic().split().isEmpty() ? null : split(config, upstreams);
        MirrorConfig mirrorConfig = config.traffic().mirror();
        this.mirror = mirrorConfig == null ? null : new Mirror(mirrorConfig,
                java.util.Objects.requireNonNull(upstreams.apply(mirrorConfig.upstream()), mirrorConfig.upstream()));
        if (config.upstream() != null || split != null) {
            action = RouteAction.FORWARD;
        } else if (respond != null) {
            action = RouteAction.RESPOND;
        } else {
            action = RouteAction.STATIC;
        }
    }

    private static Split split(RouteConfig config, java.util.function.Function<String, Upstream> upstreams) {
        var sides = config.traffic().split();
        Upstream[] targets = new Upstream[sides.size()];
        int[] weights = new int[sides.size()];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = java.util.Objects.requireNonNull(upstreams.apply(sides.get(i).upstream()),
                    sides.get(i).upstream());
            weights[i] = sides.get(i).weight();
        }
        String on = config.traffic().splitOn();
        return new Split(targets, weights, on == null ? null : SplitKey.parse(on));
    }

    /** True when every condition of the route holds for {@code request}, whose path (no query) is {@code path}. */
    boolean matches(HttpRequest request, String path) {
        if (methods != null && !methods.contains(request.method())) {
            return false;
        }
        if (pathPrefix != null && !path.startsWith(pathPrefix)) {
            return false;
        }
        if (hosts != null && !hosts.matches(request.headers().get(HttpHeaderNames.HOST))) {
            return false;
        }
        for (Map.Entry<String, String> header : headers) {
            if (!header.getValue().equals(request.headers().get(header.getKey()))) {
                return false;
            }
        }
        for (Map.Entry<String, String> cookie : cookies) {
            if (!cookie.getValue().equals(RequestValues.cookie(request.headers(), cookie.getKey()))) {
                return false;
            }
        }
        for (Map.Entry<String, String> param : query) {
            if (!param.getValue().equals(RequestValues.query(request.uri(), param.getKey()))) {
                return false;
            }
        }
        return pathRegex == null || pathRegex.matcher(path).find();
    }

    /**
     * The path to forward or serve: {@code strip_prefix} removed (leaving {@code /} when it removed
     * everything), the query kept.
     */
    public String rewriteUri(String uri, String path) {
        if (stripPrefix == null || !path.startsWith(stripPrefix)) {
            return uri;
        }
        String rest = uri.substring(stripPrefix.length());
        if (rest.isEmpty() || rest.charAt(0) == '?') {
            return "/" + rest;
        }
        return rest.charAt(0) == '/' ? rest : "/" + rest;
    }

    public String name() {
        return name;
    }

    public RouteAction action() {
        return action;
    }

    /** Where copies of the route's requests go, or null without {@code mirror:}. */
    @Override
    public Mirror mirror() {
        return mirror;
    }

    /** The upstream of a route with {@code upstream:}; null for a split route (see {@link #upstreamFor}). */
    public Upstream upstream() {
        return upstream;
    }

    /**
     * Where {@code request} (from {@code clientIp}) goes: the route's upstream, or the side of its split
     * that the request's turn or key picks.
     */
    @Override
    public Upstream upstreamFor(HttpRequest request, String clientIp) {
        return split == null ? upstream : split.pick(request, clientIp);
    }

    public RespondConfig respond() {
        return respond;
    }

    public StaticFiles staticFiles() {
        return staticFiles;
    }

    /** The filters of this route's requests, the listener's first; {@link FilterChain#EMPTY} when none. */
    public FilterChain filters() {
        return filters;
    }

    @Override
    public HeaderOps requestHeaders() {
        return requestHeaders;
    }

    public HeaderOps responseHeaders() {
        return responseHeaders;
    }
}
