package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * How much one read takes from an upstream socket: Netty's adaptive sizing, from 2 KiB at first (a
 * response head fits) up to 64 KiB while a body streams; {@value #OVER_BUDGET} bytes while the
 * {@link BufferBudget} is exhausted.
 *
 * <p>64 KiB is the largest size Netty's adaptive allocator always takes from its pools: larger buffers
 * (it pools none above 64 KiB when the heap is 512 MiB or less, as with the launcher's defaults) are
 * one-off direct allocations, which sleep in {@code java.nio.Bits.reserveMemory} when direct memory runs
 * short. A read is also what a client that stops reading can leave in its connection's write buffer, so
 * it bounds what one exchange holds (see {@link BufferBudget}). With auto-read off each read() is one recv.
 */
public final class UpstreamReadSizes implements RecvByteBufAllocator {
    static final int MAX = 64 * 1024;
    static final int OVER_BUDGET = 8 * 1024;

    private final AdaptiveRecvByteBufAllocator adaptive = new AdaptiveRecvByteBufAllocator(512, 2048, MAX);
    private final BufferBudget budget;

    UpstreamReadSizes(BufferBudget budget) {
        this.budget = budget;
    }

    @Override
    public Handle newHandle() {
        return new Capped((ExtendedHandle) adaptive.newHandle(), budget);
    }

    /** Netty's adaptive handle, whose guess is cut to {@link #OVER_BUDGET} while the budget is exhausted. */
    private static final class Capped extends DelegatingHandle implements ExtendedHandle {
        private final BufferBudget budget;

        Capped(ExtendedHandle delegate, BufferBudget budget) {
            super(delegate);
            this.budget = budget;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return alloc.ioBuffer(guess());
        }

        @Override
        public int guess() {
            int guess = delegate().guess();
            return guess > OVER_BUDGET && budget.exhausted() ? OVER_BUDGET : guess;
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
        }
    }
}
