package io.sluice.accept;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.exchange.ClientAddress;
import io.sluice.config.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First in the pipeline of a listener with {@code proxy_protocol: true} (before TLS, before HTTP): reads
 * the PROXY protocol v1 or v2 header with Netty's {@link HAProxyMessageDecoder}, records the client's
 * address it carries ({@link ClientAddress}), then steps aside and lets the rest of the pipeline see the
 * connection become active, with the bytes that followed the header.
 *
 * <ul>
 *   <li>A peer that may send a header (every peer, or one in {@code proxy_protocol_from}) must: a bad one
 *       (wrong signature, truncated, over the size limit) closes the connection, and so does a header that
 *       is not complete within {@code server.client_timeouts.request_head}. Nothing after the connection is
 *       handed on before the header is whole, so nothing of a refused connection reaches an upstream.</li>
 *   <li>A {@code LOCAL} command (a load balancer's own health check) keeps the socket's address.</li>
 *   <li>With {@code proxy_protocol_from}, any other peer is taken as a direct client: its connection goes on
 *       at once, but if its bytes begin with a PROXY header signature it is closed (a client must not
 *       choose its own address).</li>
 * </ul>
 */
public final class ProxyProtocolReader extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolReader.class);
    private static final byte[] V1_SIGNATURE = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** TLVs (v2's extra fields) beyond this make a header too large: load balancers send far less. */
    static final int MAX_TLV_BYTES = 4096;

    private final List<Cidr> trustedPeers;
    private final long timeoutNanos;
    private final Runnable onTimeout;
    private ScheduledFuture<?> timeout;
    /** A peer outside proxy_protocol_from: its first bytes are looked at for a signature, then passed on. */
    private boolean direct;
    private ByteBuf firstBytes;

    /**
     * @param trustedPeers {@code proxy_protocol_from}; empty: every peer sends a header
     * @param onTimeout    counts a header that did not come in time (then the connection closes)
     */
    public ProxyProtocolReader(List<Cidr> trustedPeers, long timeoutNanos, Runnable onTimeout) {
        this.trustedPeers = trustedPeers;
        this.timeoutNanos = timeoutNanos;
        this.onTimeout = onTimeout;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        if (!trusted(peer == null ? null : peer.getAddress())) {
            direct = true;
            ctx.fireChannelActive();
            return;
        }
        ctx.pipeline().addBefore(ctx.name(), "proxy-protocol-decoder", new HAProxyMessageDecoder(MAX_TLV_BYTES));
        // The decoder waits for 13 bytes before it looks: a client that sends fewer, and no header, is told at once.
        ctx.pipeline().addBefore("proxy-protocol-decoder", "proxy-protocol-signature", new SignatureGuard());
        timeout = ctx.executor().schedule(() -> {
            log.debug("no PROXY protocol header from {} in time: closing", ctx.channel().remoteAddress());
            onTimeout.run();
            ctx.close();
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        ctx.read(); // the rest of the pipeline sees the connection become active once the header is in
    }

    private boolean trusted(InetAddress peer) {
        if (trustedPeers.isEmpty()) {
            return true;
        }
        if (peer == null) {
            return false;
        }
        for (Cidr c : trustedPeers) {
            if (c.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage header) {
            try {
                accept(ctx, header);
            } finally {
                header.release();
            }
            cancelTimeout();
            ctx.fireChannelActive();
            ctx.pipeline().remove(this); // the decoder removes itself next and hands on what followed the header
            return;
        }
        if (direct && msg instanceof ByteBuf bytes) {
            sniff(ctx, bytes);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private static void accept(ChannelHandlerContext ctx, HAProxyMessage header) {
        if (header.command() != HAProxyCommand.PROXY || header.proxiedProtocol() == HAProxyProxiedProtocol.UNKNOWN
                || header.sourceAddress() == null) {
            return; // LOCAL (or v1 UNKNOWN): the peer speaks for itself; the socket's address stands
        }
        InetSocketAddress source = address(header.sourceAddress(), header.sourcePort());
        InetSocketAddress destination = address(header.destinationAddress(), header.destinationPort());
        if (source != null) {
            ClientAddress.set(ctx.channel(), source, destination);
        }
    }

    /** An address from the header (the decoder checked its syntax); null for a unix socket path. */
    private static InetSocketAddress address(String ip, int port) {
        if (ip == null) {
            return null;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(ip);
        if (bytes == null) {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /** A direct peer's first bytes: a PROXY signature closes the connection; anything else goes on. */
    private void sniff(ChannelHandlerContext ctx, ByteBuf bytes) {
        if (firstBytes == null) {
            firstBytes = bytes;
        } else {
            firstBytes = ctx.alloc().compositeBuffer().addComponents(true, firstBytes, bytes);
        }
        int state = signature(firstBytes);
        if (state > 0) {
            log.debug("PROXY protocol header from {}, which is not in proxy_protocol_from: closing",
                    ctx.channel().remoteAddress());
            firstBytes.release();
            firstBytes = null;
            ctx.close();
            return;
        }
        if (state == 0) {
            return; // too few bytes to tell: channelReadComplete asks for more
        }
        ByteBuf pass = firstBytes;
        firstBytes = null;
        ctx.fireChannelRead(pass);
        ctx.pipeline().remove(this);
    }

    /** 1: starts with a v1 or v2 signature; 0: could still; -1: cannot. */
    private static int signature(ByteBuf buf) {
        int v1 = prefix(buf, buf.readerIndex(), buf.readableBytes(), V1_SIGNATURE);
        int v2 = prefix(buf, buf.readerIndex(), buf.readableBytes(), V2_SIGNATURE);
        return Math.max(v1, v2);
    }

    private static int prefix(ByteBuf buf, int from, int length, byte[] signature) {
        int n = Math.min(length, signature.length);
        for (int i = 0; i < n; i++) {
            if (buf.getByte(from + i) != signature[i]) {
                return -1;
            }
        }
        return n == signature.length ? 1 : 0;
    }

    /** Closes a connection whose first bytes cannot begin a PROXY header; steps aside once they do. */
    private static final class SignatureGuard extends ChannelInboundHandlerAdapter {
        private final ByteBuf seen = io.netty.buffer.Unpooled.buffer(V2_SIGNATURE.length, V2_SIGNATURE.length);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf bytes) {
                bytes.getBytes(bytes.readerIndex(), seen, Math.min(bytes.readableBytes(), seen.writableBytes()));
                int state = Math.max(prefix(seen, 0, seen.readableBytes(), V1_SIGNATURE),
                        prefix(seen, 0, seen.readableBytes(), V2_SIGNATURE));
                if (state < 0) {
                    bytes.release();
                    log.debug("connection from {} does not start with a PROXY protocol header: closing",
                            ctx.channel().remoteAddress());
                    ctx.close();
                    return;
                }
                ctx.fireChannelRead(bytes);
                if (state > 0 && !ctx.isRemoved()) {
                    ctx.pipeline().remove(this);
                }
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (firstBytes != null || !direct) {
            ctx.read(); // still waiting for the header (or for enough bytes to tell)
            return;
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimeout();
        if (direct) {
            ctx.fireChannelInactive();
        } // else the header never came: the handlers after this one never saw the connection active
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimeout();
        if (firstBytes != null) {
            firstBytes.release();
            firstBytes = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // the decoder closed the connection already for a bad header; nothing of it went further
        log.debug("bad PROXY protocol header from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }
}
