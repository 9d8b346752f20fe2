package io.sluice.balance;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The production randomness: each call goes to the calling thread's {@link ThreadLocalRandom}, so one
 * instance can be shared by every event loop without contention (holding a {@code ThreadLocalRandom}
 * obtained on another thread is not safe to share).
 */
final class ThreadLocalRandomGenerator implements RandomGenerator {
    static final RandomGenerator INSTANCE = new ThreadLocalRandomGenerator();

    private ThreadLocalRandomGenerator() {
    }

    @Override
    public long nextLong() {
        return ThreadLocalRandom.current().nextLong();
    }

    @Override
    public int nextInt(int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
    }

    @Override
    public long nextLong(long bound) {
        return ThreadLocalRandom.current().nextLong(bound);
    }

    @Override
    public double nextDouble() {
        return ThreadLocalRandom.current().nextDouble();
    }
}
