package io.sluice.accept;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * How much one read takes from a client socket (HTTP and TCP listeners): Netty's adaptive sizes, 2 KiB at
 * first, growing while reads come back full, but never more than {@value #LOOPBACK_SEGMENT} bytes, one TCP
 * segment on loopback. One instance for all connections; left to itself Netty makes one per connection (32
 * bytes each, held as long as the connection).
 *
 * <p>Why not 64 KiB, Netty's largest: what a read takes is what the proxy writes on the other side, and a
 * write of 65,536 bytes to a loopback peer over IPv4 (whose segments carry 65,483 bytes at most) leaves, with
 * TCP_NODELAY, as a full segment and one of 53 bytes. A 1 MiB upload made 58 segments instead of 41, and the
 * small ones cost both ends far more than their size: with reads cut to one segment the proxy's kernel time
 * per upload fell by about half and the upstream's CPU by a third (docs/benchmarks.md, "Night of 2026-12-06,
 * later"). A proxy in front of an application on the same host, or beside it as a sidecar, talks over
 * loopback; on other networks a 64 KiB write is many segments either way, and 72 bytes fewer per read change
 * nothing. Upstream reads keep their 64 KiB ({@link io.sluice.upstream.UpstreamReadSizes}): the same cap
 * there was not shown to help the reference harness's 100 KiB responses.
 */
public final class ClientReadSizes implements RecvByteBufAllocator {
    /**
     * The largest TCP segment on loopback with timestamps on (Linux's default), over IPv6: the MTU of 65,536 less
     * 40 bytes of IPv6 header, 20 of TCP header and 12 of timestamps. Over IPv4 it is 65,483 (the largest IPv4
     * packet is 65,535 bytes, with a 20-byte header), so a read of this size is one segment either way.
     */
    public static final int LOOPBACK_SEGMENT = 65_536 - 40 - 20 - 12;

    /** The one instance: Netty's default sizes (64 B to 64 KiB, 2 KiB first), capped. */
    public static final ClientReadSizes SHARED = new ClientReadSizes();

    private final AdaptiveRecvByteBufAllocator adaptive = new AdaptiveRecvByteBufAllocator();

    private ClientReadSizes() {
    }

    @Override
    public Handle newHandle() {
        return new Capped((ExtendedHandle) adaptive.newHandle());
    }

    /**
     * Netty's adaptive handle, its guess cut to {@link #LOOPBACK_SEGMENT}: the adaptive allocator itself rounds a
     * maximum down to its size table (65,464 would become 32 KiB, which measured slower), so the cap wraps it, at
     * one small object per connection.
     */
    private static final class Capped extends DelegatingHandle implements ExtendedHandle {
        Capped(ExtendedHandle delegate) {
            super(delegate);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return alloc.ioBuffer(guess());
        }

        @Override
        public int guess() {
            return Math.min(LOOPBACK_SEGMENT, delegate().guess());
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
        }
    }
}
