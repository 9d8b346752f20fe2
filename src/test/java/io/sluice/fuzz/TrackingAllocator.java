package io.sluice.fuzz;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The allocator of one fuzz run's connections: keeps every buffer it hands out, so that a buffer still
 * referenced after the connections are gone is reported at once, with the input that caused it (the leak
 * detector, PARANOID in tests, finds leaks only when the collector runs, long after the input).
 */
final class TrackingAllocator extends AbstractByteBufAllocator {
    private final List<ByteBuf> allocated = new ArrayList<>();

    TrackingAllocator() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return track(toLeakAwareBuffer(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity)));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return newHeapBuffer(initialCapacity, maxCapacity); // nothing here needs native memory
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
        return track(toLeakAwareBuffer(new CompositeByteBuf(this, false, maxNumComponents)));
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
        return compositeHeapBuffer(maxNumComponents);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    private <T extends ByteBuf> T track(T buf) {
        allocated.add(buf);
        return buf;
    }

    /** Where a buffer was touched, when the leak detector (PARANOID in tests) kept a record. */
    private static String records(ByteBuf b) {
        for (Class<?> c = b.getClass(); c != null; c = c.getSuperclass()) {
            try {
                java.lang.reflect.Field leak = c.getDeclaredField("leak");
                leak.setAccessible(true);
                return "\n" + leak.get(b);
            } catch (NoSuchFieldException e) {
                // not this class
            } catch (ReflectiveOperationException | RuntimeException e) {
                return "";
            }
        }
        return "";
    }

    /** A description of the buffers still referenced, or null when every one was released. */
    String unreleased() {
        int n = 0;
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b : allocated) {
            if (b.refCnt() != 0) {
                n++;
                if (n <= 3) {
                    sb.append("\n  refCnt=").append(b.refCnt()).append(' ').append(b.getClass().getSimpleName())
                            .append(" capacity=").append(b.capacity()).append(": ")
                            .append(Escape.bytes(b, 0, Math.min(b.writerIndex(), 200))).append(records(b));
                }
            }
        }
        return n == 0 ? null : n + " of " + allocated.size() + " buffers not released after the connection closed:" + sb;
    }
}
