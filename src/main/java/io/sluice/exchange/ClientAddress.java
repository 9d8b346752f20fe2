package io.sluice.exchange;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;

/**
 * Who the client of a connection is: the source address of its PROXY protocol header when the listener
 * takes one (the listener's PROXY protocol reader {@link #set}s it), else the socket's peer. Everything that names the client
 * (X-Forwarded-For, X-Real-IP, the access log, consistent_hash on source_ip, a PROXY header sent upstream)
 * asks here. An h2 stream answers for its connection.
 */
public final class ClientAddress {
    private static final AttributeKey<InetSocketAddress> SOURCE = AttributeKey.valueOf("sluice.proxy-protocol.source");
    private static final AttributeKey<InetSocketAddress> DESTINATION =
            AttributeKey.valueOf("sluice.proxy-protocol.destination");

    private ClientAddress() {
    }

    /** The addresses a PROXY protocol header gave for {@code connection}: from now on they name its client. */
    public static void set(Channel connection, InetSocketAddress source, InetSocketAddress destination) {
        connection.attr(SOURCE).set(source);
        connection.attr(DESTINATION).set(destination);
    }

    /** The client's address (null when the channel has no peer address). */
    public static InetSocketAddress of(Channel channel) {
        Channel c = connection(channel);
        if (c.hasAttr(SOURCE)) {
            InetSocketAddress a = c.attr(SOURCE).get();
            if (a != null) {
                return a;
            }
        }
        return (InetSocketAddress) c.remoteAddress();
    }

    /** The address the client connected to: the PROXY header's destination, else the socket's own address. */
    public static InetSocketAddress destination(Channel channel) {
        Channel c = connection(channel);
        if (c.hasAttr(DESTINATION)) {
            InetSocketAddress a = c.attr(DESTINATION).get();
            if (a != null) {
                return a;
            }
        }
        return (InetSocketAddress) c.localAddress();
    }

    /** The client's IP address as text, IPv6 in its short form without brackets; "" when unknown. */
    public static String ip(Channel channel) {
        InetSocketAddress a = of(channel);
        return a == null || a.getAddress() == null ? "" : io.netty.util.NetUtil.toAddressString(a.getAddress());
    }

    private static Channel connection(Channel channel) {
        return channel instanceof Http2StreamChannel && channel.parent() != null ? channel.parent() : channel;
    }
}
