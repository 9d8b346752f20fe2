package io.sluice.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointSet;
import io.sluice.balance.EndpointState;
import io.sluice.balance.RoundRobinBalancer;
import io.sluice.balance.PickContext;
import io.sluice.config.EndpointConfig;
import io.sluice.config.PassiveConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Endpoint state sources, effective weight, slow start and the passive window, on a pinned clock. */
class EndpointHealthTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    /** Never runs anything during a test: ejections end through endEjection, called by the test. */
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    private Endpoint endpoint(String name, int weight, int index) {
        return new Endpoint(new EndpointConfig(name, name, 80, false, weight), index, now::get);
    }

    @Test
    void stateIsDerivedFromEverySourceAndADrainShowsOverAFailure() {
        Endpoint e = endpoint("a", 1, 0);
        e.setOut(Endpoint.FAILING, true);
        assertThat(e.state()).isEqualTo(EndpointState.UNHEALTHY);
        e.setOut(Endpoint.DRAINED, true);
        assertThat(e.state()).isEqualTo(EndpointState.DRAINING);
        e.setOut(Endpoint.FAILING, false);
        assertThat(e.state()).isEqualTo(EndpointState.DRAINING);
        assertThat(e.inService()).isFalse();
        e.setOut(Endpoint.EJECTED, true);
        e.setOut(Endpoint.DRAINED, false);
        assertThat(e.state()).isEqualTo(EndpointState.UNHEALTHY); // still ejected by passive checks
        e.setOut(Endpoint.EJECTED, false);
        assertThat(e.inService()).isTrue();
        assertThat(e.stateChanges(EndpointState.UNHEALTHY)).isEqualTo(2);
        assertThat(e.stateChanges(EndpointState.DRAINING)).isEqualTo(1);
        assertThat(e.stateChanges(EndpointState.HEALTHY)).isEqualTo(1);
    }

    @Test
    void failuresLowerTheEffectiveWeightAndSuccessesRestoreItStepByStep() {
        Endpoint e = endpoint("a", 5, 0);
        int full = 5 * Endpoint.WEIGHT_SCALE;
        assertThat(e.effectiveWeight()).isEqualTo(full);
        e.failed(4); // weight / max_failures
        assertThat(e.effectiveWeight()).isEqualTo(full - full / 4);
        for (int i = 0; i < 10; i++) {
            e.failed(4);
        }
        assertThat(e.effectiveWeight()).isEqualTo(full / 10); // the floor: 10%
        int successes = 0;
        while (e.effectiveWeight() < full) {
            int before = e.effectiveWeight();
            e.succeeded();
            assertThat(e.effectiveWeight()).isEqualTo(Math.min(full, before + 5));
            successes++;
        }
        assertThat(successes).isEqualTo(15);
    }

    @Test
    void slowStartRampsFromTenPercentLinearlyAfterComingBack() {
        Endpoint e = endpoint("a", 10, 0);
        int full = 10 * Endpoint.WEIGHT_SCALE;
        e.slowStart(Duration.ofSeconds(30).toNanos(), false);
        assertThat(e.effectiveWeight()).isEqualTo(full); // in service from the start: no ramp
        e.setOut(Endpoint.FAILING, true);
        now.addAndGet(5 * SECOND);
        e.setOut(Endpoint.FAILING, false);
        assertThat(e.ramping()).isTrue();
        assertThat(e.effectiveWeight()).isEqualTo(full / 10);
        now.addAndGet(15 * SECOND);
        assertThat(e.effectiveWeight()).isEqualTo(full / 10); // moved by the timer, not by reads
        e.tick();
        assertThat(e.effectiveWeight()).isEqualTo(Math.round(full * 0.55f));
        now.addAndGet(15 * SECOND);
        e.tick();
        assertThat(e.effectiveWeight()).isEqualTo(full);
        assertThat(e.ramping()).isFalse();
    }

    @Test
    void aRampMovesTheBalancersSnapshotOnlyWhenTheValueChanges() {
        Endpoint e = endpoint("a", 1, 0);
        EndpointSet set = new EndpointSet(List.of(e));
        e.slowStart(Duration.ofSeconds(30).toNanos(), true);
        long v = set.version();
        e.tick(); // same instant: same value
        assertThat(set.version()).isEqualTo(v);
        now.addAndGet(15 * SECOND);
        e.tick();
        assertThat(set.version()).isGreaterThan(v);
    }

    @Test
    void passiveChecksCountFailuresWithinTheWindowOnly() {
        Endpoint e = endpoint("a", 1, 0);
        PassiveFailureTracker tracker = new PassiveFailureTracker("api",
                new PassiveConfig(3, Duration.ofSeconds(10), Set.of(503)), List.of(e));
        tracker.failure(e, timer);
        tracker.failure(e, timer);
        now.addAndGet(11 * SECOND); // the window of the first two closed
        tracker.failure(e, timer);
        tracker.failure(e, timer);
        assertThat(e.inService()).isTrue();
        tracker.success(e); // consecutive: a success starts over
        tracker.failure(e, timer);
        tracker.failure(e, timer);
        assertThat(e.inService()).isTrue();
        tracker.failure(e, timer);
        assertThat(e.state()).isEqualTo(EndpointState.UNHEALTHY);
        now.addAndGet(5 * SECOND);
        tracker.endEjection(e); // too early (as a stale timer would be): stays out
        assertThat(e.inService()).isFalse();
        now.addAndGet(5 * SECOND);
        tracker.endEjection(e);
        assertThat(e.inService()).isTrue();
        assertThat(tracker.isFailureStatus(503)).isTrue();
        assertThat(tracker.isFailureStatus(500)).isFalse();
    }

    @Test
    void riseAndFall() {
        HealthCounter c = new HealthCounter(2, 3, true);
        assertThat(c.record(false)).isFalse();
        assertThat(c.record(false)).isFalse();
        assertThat(c.record(true)).isFalse(); // the streak is broken
        assertThat(c.record(false)).isFalse();
        assertThat(c.record(false)).isFalse();
        assertThat(c.record(false)).isTrue();
        assertThat(c.healthy()).isFalse();
        assertThat(c.record(true)).isFalse();
        assertThat(c.record(true)).isTrue();
        assertThat(c.healthy()).isTrue();
    }

    @Test
    void panicUsesEveryEndpointBelowTheThreshold() {
        List<Endpoint> eps = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            eps.add(endpoint("e" + i, 1, i));
        }
        EndpointSet set = new EndpointSet(eps, 0.5);
        RoundRobinBalancer rr = new RoundRobinBalancer(set);
        PickContext ctx = PickContext.EMPTY;
        eps.get(0).setOut(Endpoint.FAILING, true);
        eps.get(1).setOut(Endpoint.FAILING, true); // 2 of 4 in service: not below 50%
        assertThat(set.panicking()).isFalse();
        for (int i = 0; i < 8; i++) {
            assertThat(rr.pick(ctx)).isIn(eps.get(2), eps.get(3));
        }
        eps.get(2).setOut(Endpoint.EJECTED, true); // 1 of 4: panic, all four take requests
        assertThat(set.panicking()).isTrue();
        Set<Endpoint> seen = new java.util.HashSet<>();
        for (int i = 0; i < 8; i++) {
            seen.add(rr.pick(ctx));
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(eps);
    }
}
