package io.sluice.upstream;

import static io.sluice.upstream.CircuitBreaker.PASSED;
import static io.sluice.upstream.CircuitBreaker.REFUSED;
import static io.sluice.upstream.CircuitBreaker.isTrial;
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
        b.record(true, PASSED);
        b.record(true, PASSED);
        b.record(true, PASSED); // 3 of 3 failed, but fewer than min_requests
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        b.record(false, PASSED); // 4 attempts, 3 failed: a success never opens
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        b.record(true, PASSED); // 5 attempts, 4 failed
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(b.opened()).isEqualTo(1);
    }

    @Test
    void staysClosedBelowTheRatio() {
        CircuitBreaker b = breaker(0.5, 4, 1);
        for (int i = 0; i < 6; i++) {
            b.record(false, PASSED);
        }
        for (int i = 0; i < 5; i++) {
            b.record(true, PASSED); // 5 of 11
        }
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        b.record(true, PASSED); // 6 of 12
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void failuresOlderThanTheWindowDoNotCount() {
        CircuitBreaker b = breaker(0.5, 4, 1);
        b.record(true, PASSED);
        b.record(true, PASSED);
        b.record(true, PASSED);
        advance(Duration.ofSeconds(11));
        b.record(true, PASSED); // only one in the window
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        advance(Duration.ofSeconds(5));
        b.record(true, PASSED);
        b.record(true, PASSED);
        b.record(true, PASSED); // four within 10 s
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    /** Admits a request that must be a trial; its ticket. */
    private static int trial(CircuitBreaker b) {
        int ticket = b.admit();
        assertThat(isTrial(ticket)).as("admitted as a trial").isTrue();
        return ticket;
    }

    @Test
    void openRefusesUntilOpenForThenOneTrialClosesIt() {
        CircuitBreaker b = breaker(0.5, 1, 1);
        b.record(true, PASSED);
        assertThat(b.admit()).isEqualTo(REFUSED);
        advance(Duration.ofMillis(4999));
        assertThat(b.admit()).isEqualTo(REFUSED);
        advance(Duration.ofMillis(1));
        int t = trial(b);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(b.admit()).isEqualTo(REFUSED); // one trial at a time
        b.record(false, t);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(b.admit()).isEqualTo(PASSED);
        assertThat(b.refused()).isEqualTo(3);
        b.record(false, PASSED); // the window started over on closing: one more failure is 1 of 2
        b.record(true, PASSED);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN); // min_requests 1, ratio 50%
    }

    @Test
    void aFailedTrialOpensItAgainForAnotherOpenFor() {
        CircuitBreaker b = breaker(0.5, 1, 2);
        b.record(true, PASSED);
        advance(Duration.ofSeconds(5));
        int first = trial(b);
        int second = trial(b);
        assertThat(b.admit()).isEqualTo(REFUSED);
        b.record(false, first);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN); // one of two trials
        b.record(true, second);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(b.opened()).isEqualTo(2);
        advance(Duration.ofMillis(4999));
        assertThat(b.admit()).isEqualTo(REFUSED);
        advance(Duration.ofMillis(1));
        b.record(false, trial(b));
        b.record(false, trial(b));
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void anAbandonedTrialLetsAnotherTryAndStragglersDoNotDecide() {
        CircuitBreaker b = breaker(0.5, 1, 1);
        b.record(true, PASSED);
        advance(Duration.ofSeconds(5));
        int abandoned = trial(b);
        b.record(false, PASSED); // a request admitted before it opened: not a trial
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        b.trialAbandoned(abandoned);
        b.record(false, trial(b));
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void aTrialOfAnEarlierRoundNeitherDecidesNorWidensTheCurrentOne() {
        CircuitBreaker b = breaker(0.5, 1, 2);
        b.record(true, PASSED);
        advance(Duration.ofSeconds(5));
        int slow = trial(b); // round 1: still waiting for its upstream
        b.record(true, trial(b)); // round 1's other trial fails: open again
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
        advance(Duration.ofSeconds(5));
        int current = trial(b); // round 2: one of its two trials
        b.record(false, slow); // round 1's straggler succeeds: not one of round 2's successes
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        b.trialAbandoned(slow); // nor does giving it up free a third trial in round 2
        int last = trial(b);
        assertThat(b.admit()).isEqualTo(REFUSED);
        b.record(false, current);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        b.record(false, last);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
}
