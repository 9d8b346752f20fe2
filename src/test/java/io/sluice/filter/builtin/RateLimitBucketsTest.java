package io.sluice.filter.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.sluice.filter.api.RequestKey;
import io.sluice.filter.testkit.FilterTester;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** How long the local buckets are kept, and how many: a clock the test moves, no sleeps. */
class RateLimitBucketsTest {

    /** The limiter's clock and the buckets' expiry clock, one value moved by the test. */
    static final class TestClock implements Ticker, LongSupplier {
        long nanos = 1;

        @Override
        public long read() {
            return nanos;
        }

        @Override
        public long getAsLong() {
            return nanos;
        }

        void advance(long amount, TimeUnit unit) {
            nanos += unit.toNanos(amount);
        }
    }

    private static RateLimit.Settings settings(double perSecond, String rateText, int burst) {
        return new RateLimit.Settings(RequestKey.parse("header:X-Key"), perSecond, rateText, burst, 429);
    }

    private static boolean passes(FilterTester t, String key) throws Exception {
        return t.request("GET", "/").header("X-Key", key).send().passed();
    }

    @Test
    void aBucketIsKeptWhileItRefillsAndForgottenOnceFull() throws Exception {
        TestClock clock = new TestClock();
        RateLimit.Settings settings = settings(1.0 / 60, "1/m", 2); // an empty bucket fills in 120 s
        RateLimit.Buckets buckets = new RateLimit.Buckets(clock);
        buckets.refillIn(settings);
        try (FilterTester t = FilterTester.of(new RateLimit.Limiter(settings, buckets, clock))) {
            assertThat(passes(t, "a")).isTrue();
            assertThat(passes(t, "a")).isTrue();
            assertThat(passes(t, "a")).isFalse();

            clock.advance(61, TimeUnit.SECONDS); // one token back, not two: the bucket must still be there
            buckets.byKey.cleanUp();
            assertThat(passes(t, "a")).isTrue();
            assertThat(passes(t, "a")).isFalse();

            clock.advance(121, TimeUnit.SECONDS); // full again: nothing lost by forgetting it
            buckets.byKey.cleanUp();
            assertThat(buckets.byKey.estimatedSize()).isZero();
            assertThat(passes(t, "a")).isTrue();
            assertThat(passes(t, "a")).isTrue();
            assertThat(passes(t, "a")).isFalse();
        }
    }

    @Test
    void aFloodOfNewKeyValuesIsBoundedAndAKeyInHeavyUseStaysLimited() throws Exception {
        TestClock clock = new TestClock();
        RateLimit.Settings settings = settings(1.0 / 3600, "1/h", 1);
        RateLimit.Buckets buckets = new RateLimit.Buckets(clock);
        buckets.refillIn(settings);
        try (FilterTester t = FilterTester.of(new RateLimit.Limiter(settings, buckets, clock))) {
            assertThat(passes(t, "abuser")).isTrue();
            int flood = RateLimit.Buckets.MAX_KEYS + RateLimit.Buckets.MAX_KEYS / 2;
            for (int i = 0; i < flood; i++) {
                assertThat(passes(t, "new-" + i)).isTrue();
                if (i % 500 == 0) {
                    assertThat(passes(t, "abuser")).as("the abuser after %d new keys", i).isFalse();
                }
            }
            buckets.byKey.cleanUp();
            assertThat(buckets.byKey.estimatedSize()).isLessThanOrEqualTo(RateLimit.Buckets.MAX_KEYS);
            assertThat(passes(t, "abuser")).isFalse();
        }
    }
}
