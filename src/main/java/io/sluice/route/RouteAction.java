package io.sluice.route;

/** What a matched route does with the request. */
public enum RouteAction {
    /** Forward to the route's upstream. */
    FORWARD,
    /** Answer with the route's fixed response. */
    RESPOND,
    /** Serve a file under the route's root. */
    STATIC
}
