package io.sluice.route;

import io.netty.handler.codec.http.HttpRequest;
import io.sluice.filter.FilterChain;
import java.util.List;

/** A listener's routes in file order; the first that matches wins. Immutable. */
public final class RouteTable {
    private final Route[] routes;
    private final FilterChain filters;

    public RouteTable(List<Route> routes) {
        this(routes, FilterChain.EMPTY);
    }

    /** {@code filters}: the listener's own, run for a request no route matches (before its 404). */
    public RouteTable(List<Route> routes, FilterChain filters) {
        this.routes = routes.toArray(new Route[0]);
        this.filters = filters;
    }

    /** The listener's filters (each route's chain starts with them). */
    public FilterChain filters() {
        return filters;
    }

    /** The first route matching {@code request} (whose path without query is {@code path}), or null. */
    public Route match(HttpRequest request, String path) {
        for (Route route : routes) {
            if (route.matches(request, path)) {
                return route;
            }
        }
        return null;
    }

    /** The path part of a request target: everything before {@code ?} (and before {@code #}, which clients should not send). */
    public static String pathOf(String uri) {
        int end = uri.length();
        for (int i = 0; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                return uri.substring(0, i);
            }
        }
        return uri;
    }
}
