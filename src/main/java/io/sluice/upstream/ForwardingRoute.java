package io.sluice.upstream;

import io.netty.handler.codec.http.HttpRequest;
import io.sluice.config.HeaderOps;

/**
 * What forwarding needs of the route a request matched. Implemented by {@code io.sluice.route.Route}: routes
 * name upstreams, so the upstream side reads its route through this and does not depend on routing in turn.
 */
public interface ForwardingRoute {

    /** Where {@code request} (from {@code clientIp}) goes: the route's upstream, or the side of its split. */
    Upstream upstreamFor(HttpRequest request, String clientIp);

    /** Where copies of the route's requests go, or null without {@code mirror:}. */
    Mirror mirror();

    /** The route's {@code request_headers}. */
    HeaderOps requestHeaders();
}
