package io.sluice.upstream;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.sluice.config.UpstreamConfig.SendProxyProtocol;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * {@code send_proxy_protocol}: the first bytes of a new upstream connection are a PROXY protocol header,
 * encoded by Netty's {@link HAProxyMessageEncoder}. Put first in the connection's pipeline, it writes the
 * header ahead of the first write of anything after it (a TLS handshake, a request, relayed bytes: a
 * connect's listeners may write before the pipeline hears that the channel is active), or when the channel
 * becomes active, whichever comes first; then it takes itself and the encoder out.
 */
public final class ProxyHeaderSender extends ChannelDuplexHandler {
    private static final byte[] V1_UNKNOWN = "PROXY UNKNOWN\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** An HAProxyMessage (for the encoder) or the bytes of one. */
    private final io.netty.util.ReferenceCounted header;
    private boolean sent;

    private ProxyHeaderSender(io.netty.util.ReferenceCounted header) {
        this.header = header;
    }

    /**
     * Adds the encoder and the sender at the front of {@code pipeline}: a PROXY header naming {@code client},
     * who connected to {@code destination}. Nothing is added when {@code version} is OFF.
     */
    public static void addTo(ChannelPipeline pipeline, SendProxyProtocol version, InetSocketAddress client,
                             InetSocketAddress destination) {
        if (version == SendProxyProtocol.OFF) {
            return;
        }
        pipeline.addFirst("proxy-header", new ProxyHeaderSender(proxied(version, client, destination)));
        pipeline.addFirst("proxy-header-encoder", HAProxyMessageEncoder.INSTANCE);
    }

    /**
     * For a connection of the proxy's own (a health check): v2 {@code LOCAL}, v1 {@code UNKNOWN}, which a
     * receiver takes as "this peer speaking for itself".
     */
    public static void addLocalTo(ChannelPipeline pipeline, SendProxyProtocol version) {
        if (version == SendProxyProtocol.OFF) {
            return;
        }
        io.netty.util.ReferenceCounted local = version == SendProxyProtocol.V2
                ? new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN,
                        null, null, 0, 0)
                : Unpooled.wrappedBuffer(V1_UNKNOWN); // the encoder cannot write v1 UNKNOWN: six words of ASCII
        pipeline.addFirst("proxy-header", new ProxyHeaderSender(local));
        pipeline.addFirst("proxy-header-encoder", HAProxyMessageEncoder.INSTANCE);
    }

    /** A PROXY command for TCP over the client's address family (the destination is mapped to it if need be). */
    static HAProxyMessage proxied(SendProxyProtocol version, InetSocketAddress client, InetSocketAddress destination) {
        HAProxyProtocolVersion v = version == SendProxyProtocol.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2;
        InetAddress source = io.sluice.config.Cidr.unmap(client.getAddress());
        InetAddress target = destination == null || destination.getAddress() == null ? null
                : io.sluice.config.Cidr.unmap(destination.getAddress());
        boolean v4 = source instanceof Inet4Address;
        if (target == null || (target instanceof Inet4Address) != v4) {
            target = v4 ? NetUtil.LOCALHOST4 : NetUtil.LOCALHOST6; // no address of the same family to name
        }
        return new HAProxyMessage(v, HAProxyCommand.PROXY, v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                NetUtil.toAddressString(source), NetUtil.toAddressString(target), client.getPort(),
                destination == null ? 0 : destination.getPort());
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        sendHeader(ctx);
        ctx.write(msg, promise);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        sendHeader(ctx);
        ctx.flush();
        ChannelPipeline p = ctx.pipeline();
        p.remove(this);
        p.remove("proxy-header-encoder");
        ctx.fireChannelActive();
    }

    private void sendHeader(ChannelHandlerContext ctx) {
        if (!sent) {
            sent = true;
            Channel ch = ctx.channel();
            ctx.write(header, ch.voidPromise()); // through the encoder, which is before this handler
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (!sent) {
            sent = true;
            header.release(); // never written: the connection did not come up
        }
    }
}
