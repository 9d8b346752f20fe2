package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EndpointStatsTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final EndpointStats stats = new EndpointStats(now::get);

    private void advanceSeconds(long s) {
        now.addAndGet(s * 1_000_000_000L);
    }

    @Test
    void bucketsAreOrderedAndBoundsHold() {
        int last = -1;
        for (long micros = 0; micros < 40_000_000L; micros = micros * 5 / 4 + 1) {
            int b = EndpointStats.latencyBucket(micros);
            assertThat(b).isGreaterThanOrEqualTo(last).isLessThan(EndpointStats.LATENCY_BUCKETS);
            if (b < EndpointStats.LATENCY_BUCKETS - 1) {
                assertThat(EndpointStats.bucketUpperMicros(b)).isGreaterThan(micros);
            }
            last = b;
        }
    }

    @Test
    void lastMinuteRatesPercentilesAndErrors() {
        for (int s = 0; s < 10; s++) {
            for (int i = 0; i < 98; i++) {
                stats.record(200, 2_000_000); // 2 ms
            }
            stats.record(200, 900_000_000); // 900 ms
            stats.record(503, 2_000_000);
            advanceSeconds(1);
        }
        EndpointStats.Snapshot snap = stats.snapshot();
        assertThat(snap.requests()).isEqualTo(1000);
        assertThat(snap.errors()).isEqualTo(10);
        assertThat(snap.errorRate()).isEqualTo(0.01);
        assertThat(snap.p50Millis()).isBetween(2.0, 2.5);
        assertThat(snap.p99Millis()).isBetween(2.0, 2.5);
        assertThat(snap.perSecond()[59]).isEqualTo(100);
        assertThat(snap.perSecond()[50]).isEqualTo(100);
        assertThat(snap.perSecond()[49]).isZero();

        advanceSeconds(55);
        assertThat(stats.snapshot().requests()).isEqualTo(500); // five seconds left in the window
        advanceSeconds(10);
        assertThat(stats.snapshot().requests()).isZero();
        assertThat(stats.snapshot().p50Millis()).isNaN();
    }

    @Test
    void aSlotIsClearedWhenItsSecondComesRound() {
        stats.record(200, 1_000);
        advanceSeconds(EndpointStats.SECONDS);
        stats.record(500, 1_000);
        advanceSeconds(1);
        EndpointStats.Snapshot snap = stats.snapshot();
        assertThat(snap.requests()).isEqualTo(1);
        assertThat(snap.errors()).isEqualTo(1);
    }
}
