package io.sluice.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.sluice.balance.Endpoint;

/**
 * Opens the connections of an upstream whose endpoint a client named (the forward proxy's destinations):
 * instead of looking the name up as it connects, it looks it up, checks every address against its rules
 * and connects to an address it checked. A refused destination fails the future with
 * {@link DestinationRefusedException}, which the request path answers with 403.
 */
public interface DestinationGuard {
    /** As {@link EndpointResolver#connect}, for {@code endpoint} through the guard's checks. */
    ChannelFuture connect(Bootstrap bootstrap, EventLoop loop, Endpoint endpoint, long timeoutMillis);
}
