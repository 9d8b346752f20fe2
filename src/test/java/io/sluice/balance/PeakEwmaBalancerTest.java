package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.inFlight;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PeakEwmaBalancerTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long T0 = 123_456_789_000L;
    private long now = T0;

    @Test
    void peakEwmaTakesPeaksAtOnceAndDecays() {
        var ewma = new PeakEwma(PeakEwma.DEFAULT_DECAY_NANOS);
        assertThat(ewma.cost(T0)).isZero();
        ewma.record(10 * MS, T0);
        assertThat(ewma.cost(T0)).isCloseTo(10.0 * MS, within(0.001 * MS));
        assertThat(ewma.cost(T0 + 10_000 * MS)).isCloseTo(10.0 * MS / Math.E, within(0.02 * MS)); // one decay time
        ewma.record(50 * MS, T0 + 1);
        assertThat(ewma.cost(T0 + 1)).isCloseTo(50.0 * MS, within(0.01 * MS)); // the peak, at once
        ewma.record(10 * MS, T0 + 1000 * MS); // a faster sample 1 s later pulls it down by 1 - e^-0.1
        double w = Math.exp(-0.1);
        assertThat(ewma.cost(T0 + 1000 * MS)).isCloseTo(50.0 * MS * w + 10.0 * MS * (1 - w), within(0.1 * MS));
    }

    @Test
    void theWorkedSequence() {
        var eps = endpoints(1, 1, 1);
        eps.get(0).recordLatency(10 * MS, now);
        eps.get(1).recordLatency(50 * MS, now);
        eps.get(2).recordLatency(20 * MS, now);
        inFlight(eps.get(0), 2); // cost 30 ms
        inFlight(eps.get(2), 1); // cost 40 ms; b 50 ms
        var balancer = new PeakEwmaBalancer(new EndpointSet(eps), new BalancerTesting.ScriptedRandom(0, 0, 1, 1, 0, 1), () -> now);
        assertThat(sequence(balancer, 3)).isEqualTo("a c a");
    }

    @Test
    void aSlowEndpointIsAvoidedUntilItsLatencyDecays() {
        var eps = endpoints(1, 1, 1);
        eps.get(0).recordLatency(10 * MS, now);
        eps.get(1).recordLatency(500 * MS, now);
        eps.get(2).recordLatency(12 * MS, now);
        var balancer = new PeakEwmaBalancer(new EndpointSet(eps), new SplittableRandom(1), () -> now);
        assertThat(sequence(balancer, 200)).doesNotContain("b");
        now += 60_000 * MS; // six decay times with no sample: b's 500 ms has decayed to about 1.2 ms
        eps.get(0).recordLatency(10 * MS, now);
        eps.get(2).recordLatency(12 * MS, now);
        assertThat(sequence(balancer, 200)).contains("b");
    }

    @Test
    void anEndpointWithoutSamplesIsTriedOnceThenWaitsForItsAnswer() {
        var eps = endpoints(1, 1);
        eps.get(0).recordLatency(10 * MS, now);
        var balancer = new PeakEwmaBalancer(new EndpointSet(eps), new SplittableRandom(1), () -> now);
        Endpoint first = balancer.pick(PickContext.EMPTY);
        assertThat(first).isSameAs(eps.get(1)); // cost 0: never measured, idle
        first.requestStarted();
        assertThat(sequence(balancer, 5)).isEqualTo("a a a a a"); // b has a request out and no sample: penalty
        first.recordLatency(5 * MS, now);
        first.requestFinished();
        assertThat(balancer.pick(PickContext.EMPTY)).isSameAs(eps.get(1)); // 5 ms < 10 ms
    }

    @Test
    void skipsOutOfServiceAndTried() {
        var eps = endpoints(1, 1, 1);
        eps.get(0).recordLatency(1 * MS, now);
        eps.get(1).recordLatency(2 * MS, now);
        eps.get(2).recordLatency(3 * MS, now);
        var balancer = new PeakEwmaBalancer(new EndpointSet(eps), new SplittableRandom(1), () -> now);
        var ctx = new BalancerTesting.Context().markTried(eps.get(0));
        assertThat(sequence(balancer, 20, ctx)).doesNotContain("a");
        eps.get(1).state(EndpointState.UNHEALTHY);
        assertThat(sequence(balancer, 5, ctx)).isEqualTo("c c c c c");
        eps.get(2).state(EndpointState.UNHEALTHY);
        assertThat(balancer.pick(ctx)).isSameAs(eps.get(0)); // only a tried one left
        eps.get(0).state(EndpointState.UNHEALTHY);
        assertThat(balancer.pick(ctx)).isNull();
    }
}
