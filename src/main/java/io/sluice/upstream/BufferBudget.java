package io.sluice.upstream;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide budget for buffering responses ({@code server.buffer_budget}): how much direct memory
 * (Netty's own count: its allocator's chunks and any buffer outside them) may fill before upstream reads
 * wait for the clients.
 *
 * <p>Under the budget, each exchange holds at most its window: what its client connection's write buffer
 * takes before it turns unwritable (the high water mark) plus one upstream read (64 KiB at most). Over the
 * budget the window closes to one small read: an upstream is read only after its client has taken
 * everything sent to it so far, {@value UpstreamReadSizes#OVER_BUDGET} bytes at a time. Clients that do not
 * read then stop adding to memory, clients that do read are still served (more slowly), and nothing
 * fails: the proxy never gets near the JVM's direct-memory limit, where an allocation either fails or
 * (without Netty's own accounting) sleeps in {@code java.nio.Bits.reserveMemory} on the event loop.
 *
 * <p>A read held back is retried on its event loop every {@link #RETRY_MILLIS} ms (one task per loop, only
 * while something waits): the allocator tells no one when memory frees.
 */
public final class BufferBudget implements io.sluice.metrics.MeteredBudget {
    private static final Logger log = LoggerFactory.getLogger(BufferBudget.class);
    static final long RETRY_MILLIS = 20;
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private volatile long limit;
    private final LongAdder waits = new LongAdder();
    private final AtomicLong nextLog = new AtomicLong(System.nanoTime());
    private final AtomicLong waitsLogged = new AtomicLong();
    private final UpstreamReadSizes readSizes = new UpstreamReadSizes(this);
    /** Each event loop's exchanges whose upstream read waits; only that loop's thread touches its queue. */
    private final FastThreadLocal<Waiting> waiting = new FastThreadLocal<>();

    /** @param limit bytes; 0 for the default, half of the JVM's direct-memory limit */
    public BufferBudget(long limit) {
        limit(limit);
    }

    /** A reload may change it; 0 for the default. */
    public void limit(long bytes) {
        this.limit = bytes > 0 ? bytes : defaultLimit();
    }

    public long limit() {
        return limit;
    }

    /** Half of the JVM's direct-memory limit ({@code -XX:MaxDirectMemorySize}, by default the heap's maximum). */
    public static long defaultLimit() {
        return Math.max(1, PlatformDependent.maxDirectMemory() / 2);
    }

    /** The direct memory the budget is compared with: Netty's count of what it holds. */
    public long used() {
        long counted = PlatformDependent.usedDirectMemory();
        if (counted >= 0) {
            return counted;
        }
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p
                ? p.metric().usedDirectMemory() : 0;
    }

    public boolean exhausted() {
        return used() >= limit;
    }

    /** Times since start an exchange's upstream reads began to wait because the budget was exhausted. */
    public long waits() {
        return waits.sum();
    }

    /** The receive-buffer sizes of upstream connections: smaller while the budget is exhausted. */
    public UpstreamReadSizes readSizes() {
        return readSizes;
    }

    /** An exchange's upstream reads begin to wait: counted, and logged at most every ten seconds. */
    void countWait() {
        waits.increment();
        maybeLog();
    }

    /** {@code call}'s held-back read is retried shortly on {@code loop}, its event loop (the caller's). */
    void retryLater(ProxyCall call, EventLoop loop) {
        Waiting w = waiting.get();
        if (w == null) {
            w = new Waiting(loop);
            waiting.set(w);
        }
        w.add(call);
    }

    private void maybeLog() {
        long now = System.nanoTime();
        long next = nextLog.get();
        if (now - next < 0 || !nextLog.compareAndSet(next, now + LOG_EVERY_NANOS)) {
            return;
        }
        long total = waits.sum();
        long since = total - waitsLogged.getAndSet(total);
        log.warn("direct memory in use ({} MiB) has reached server.buffer_budget ({} MiB): upstream reads wait until"
                        + " the client has taken what it was sent ({} responses held back since the last message)",
                used() >> 20, limit >> 20, since);
    }

    /** One event loop's waiting exchanges and its retry task. */
    private static final class Waiting implements Runnable {
        private final EventLoop loop;
        private final ArrayDeque<ProxyCall> calls = new ArrayDeque<>();
        private boolean scheduled;

        Waiting(EventLoop loop) {
            this.loop = loop;
        }

        void add(ProxyCall call) {
            calls.add(call);
            if (!scheduled) {
                scheduled = true;
                loop.schedule(this, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void run() {
            scheduled = false;
            // Each retry either reads or waits again (and is added back to the queue): take only those
            // that were waiting when the task started.
            for (int n = calls.size(); n > 0; n--) {
                calls.poll().retryRead();
            }
        }
    }
}
