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
import io.sluice.upstream.Upstream;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One compiled route: its match conditions (all given must hold) and its action. Immutable; built once
 * per configuration so matching does no parsing.
 */
public final class Route {
    private final String name;
    private final HostMatcher hosts;
    private final String pathPrefix;
    private final Pattern pathRegex;
    private final Set<HttpMethod> methods;
    private final Map.Entry<String, String>[] headers;
    private final String stripPrefix;
    private final HeaderOps requestHeaders;
    private final HeaderOps responseHeaders;
    private final RouteAction action;
    private final Upstream upstream;
    private final RespondConfig respond;
    private final StaticFiles staticFiles;
    private final FilterChain filters;

    public Route(RouteConfig config, Upstream upstream) {
        this(config, upstream, FilterChain.EMPTY);
    }

    /** {@code filters}: the whole chain a request of this route passes (the listener's filters first). */
    @SuppressWarnings("unchecked")
    public Route(RouteConfig config, Upstream upstream, FilterChain filters) {
        this.filters = filters;
        MatchConfig match = config.match() == null ? MatchConfig.ANY : config.match();
        this.name = config.name();
        this.hosts = match.hosts().isEmpty() ? null : new HostMatcher(match.hosts());
        this.pathPrefix = match.pathPrefix();
        this.pathRegex = match.pathRegex();
        this.methods = match.methods().isEmpty() ? null
                : Set.copyOf(match.methods().stream().map(HttpMethod::valueOf).toList());
        this.headers = match.headers().entrySet().toArray(new Map.Entry[0]);
        this.stripPrefix = config.stripPrefix() == null || config.stripPrefix().isEmpty() ? null : config.stripPrefix();
        this.requestHeaders = config.requestHeaders() == null ? HeaderOps.NONE : config.requestHeaders();
        this.responseHeaders = config.responseHeaders() == null ? HeaderOps.NONE : config.responseHeaders();
        this.respond = config.respond();
        this.staticFiles = config.staticFiles() == null ? null : new StaticFiles(config.staticFiles().root());
        this.upstream = upstream;
        if (config.upstream() != null) {
            action = RouteAction.FORWARD;
        } else if (respond != null) {
            action = RouteAction.RESPOND;
        } else {
            action = RouteAction.STATIC;
        }
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

    public Upstream upstream() {
        return upstream;
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

    public HeaderOps requestHeaders() {
        return requestHeaders;
    }

    public HeaderOps responseHeaders() {
        return responseHeaders;
    }
}
