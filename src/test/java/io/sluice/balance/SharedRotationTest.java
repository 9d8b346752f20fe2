package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The rotation is shared by all event loops: whole periods picked from several threads at once give
 * exactly the weights, whichever implementation (precomputed, locked, compare-and-set) serves them.
 */
class SharedRotationTest {
    private static final int THREADS = 4;

    @Test
    void smoothWeightedRoundRobin() throws InterruptedException {
        assertThat(counts(eps -> new SmoothWeightedRoundRobinBalancer(new EndpointSet(eps)), 1000, 5, 1, 1))
                .containsExactly(20_000, 4_000, 4_000);
        assertThat(counts(eps -> new SmoothWeightedRoundRobinBalancer(new EndpointSet(eps), 0), 1000, 5, 1, 1))
                .containsExactly(20_000, 4_000, 4_000);
    }

    @Test
    void interleavedWeightedRoundRobin() throws InterruptedException {
        assertThat(counts(eps -> new InterleavedWeightedRoundRobinBalancer(new EndpointSet(eps)), 1000, 4, 3, 2))
                .containsExactly(16_000, 12_000, 8_000);
        assertThat(counts(eps -> new InterleavedWeightedRoundRobinBalancer(new EndpointSet(eps), 0), 1000, 4, 3, 2))
                .containsExactly(16_000, 12_000, 8_000);
    }

    @Test
    void roundRobin() throws InterruptedException {
        assertThat(counts(RoundRobinBalancer::new, 1000, 1, 1, 1)).containsExactly(4_000, 4_000, 4_000);
    }

    /** Each of {@link #THREADS} threads makes {@code periodsPerThread} × (sum of weights) picks. */
    private static int[] counts(Function<List<Endpoint>, Balancer> factory, int periodsPerThread, int... weights)
            throws InterruptedException {
        List<Endpoint> eps = endpoints(weights);
        Balancer balancer = factory.apply(eps);
        int picksPerThread = periodsPerThread * java.util.Arrays.stream(weights).sum();
        AtomicIntegerArray counts = new AtomicIntegerArray(weights.length);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Thread thread = new Thread(() -> {
                int[] local = new int[weights.length];
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < picksPerThread; i++) {
                    local[balancer.pick(PickContext.EMPTY).index()]++;
                }
                for (int i = 0; i < local.length; i++) {
                    counts.addAndGet(i, local[i]);
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        int[] result = new int[weights.length];
        for (int i = 0; i < result.length; i++) {
            result[i] = counts.get(i);
        }
        return result;
    }
}
