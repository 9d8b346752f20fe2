package io.sluice.upstream;

import static io.sluice.upstream.CircuitBreaker.PASSED;
import static io.sluice.upstream.CircuitBreaker.REFUSED;
import static io.sluice.upstream.CircuitBreaker.TRIAL;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The breaker's state machine on a pinned clock: exact opening, refusing, half-open trials, closing. */
class CircuitBreakerTest {
    private final AtomicLong now = new AtomicLong(-5_000_000_000L); // nanoTime may be negative

    private CircuitBreaker breaker(double ratio, int min, int halfOpen) {
        return new CircuitBreaker(new CircuitBreakerConfig(ratio, min, Duration.ofSeconds(10), Duration.ofSeconds(5),
                halfOpen, Set.copyOf(CircuitBreakerConfig.CONDITIONS), true, Set.of()), now::get);
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void opensOnlyWithMinRequestsAndTheRatioReached() {
        CircuitBreaker b = breaker(0.5, 4, 1);
        b.record(true, false);
        b.record(true, false);
        b.record(true, false); // 3 of 3 failed, but fewer than min_requests
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        b.record(false, false); // 4 attempts, 3 failed: a success never opens
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        b.record(true, false); // 5 attempts, 4 failed
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(b.opened()).isEqualTo(1);
    }

    @Test
    void staysClosedBelowTheRatio() {
        CircuitBreaker b = breaker(0.5, 4, 1);
        for (int i = 0; i < 6; i++) {
            b.record(false, false);
        }
        for (int i = 0; i < 5; i++) {
            b.record(true, false); // 5 of 11
        }
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        b.record(true, false); // 6 of 12
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void failuresOlderThanTheWindowDoNotCount() {
        CircuitBreaker b = breaker(0.5, 4, 1);
        b.record(true, false);
        b.record(true, false);
        b.record(true, false);
        advance(Duration.ofSeconds(11));
        b.record(true, false); // only one in the window
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        advance(Duration.ofSeconds(5));
        b.record(true, false);
        b.record(true, false);
        b.record(true, false); // four within 10 s
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void openRefusesUntilOpenForThenOneTrialClosesIt() {
        CircuitBreaker b = breaker(0.5, 1, 1);
        b.record(true, false);
        assertThat(b.admit()).isEqualTo(REFUSED);
        advance(Duration.ofMillis(4999));
        assertThat(b.admit()).isEqualTo(REFUSED);
        advance(Duration.ofMillis(1));
        assertThat(b.admit()).isEqualTo(TRIAL);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(b.admit()).isEqualTo(REFUSED); // one trial at a time
        b.record(false, true);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(b.admit()).isEqualTo(PASSED);
        assertThat(b.refused()).isEqualTo(3);
        b.record(false, false); // the window started over on closing: one more failure is 1 of 2
        b.record(true, false);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN); // min_requests 1, ratio 50%
    }

    @Test
    void aFailedTrialOpensItAgainForAnotherOpenFor() {
        CircuitBreaker b = breaker(0.5, 1, 2);
        b.record(true, false);
        advance(Duration.ofSeconds(5));
        assertThat(b.admit()).isEqualTo(TRIAL);
        assertThat(b.admit()).isEqualTo(TRIAL);
        assertThat(b.admit()).isEqualTo(REFUSED);
        b.record(false, true);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN); // one of two trials
        b.record(true, true);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(b.opened()).isEqualTo(2);
        advance(Duration.ofMillis(4999));
        assertThat(b.admit()).isEqualTo(REFUSED);
        advance(Duration.ofMillis(1));
        assertThat(b.admit()).isEqualTo(TRIAL);
        b.record(false, true);
        assertThat(b.admit()).isEqualTo(TRIAL);
        b.record(false, true);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void anAbandonedTrialLetsAnotherTryAndStragglersDoNotDecide() {
        CircuitBreaker b = breaker(0.5, 1, 1);
        b.record(true, false);
        advance(Duration.ofSeconds(5));
        assertThat(b.admit()).isEqualTo(TRIAL);
        b.record(false, false); // a request admitted before it opened: not a trial
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        b.trialAbandoned();
        assertThat(b.admit()).isEqualTo(TRIAL);
        b.record(false, true);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
}
