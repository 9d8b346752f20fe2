package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomBalancerTest {

    @Test
    void theWorkedSequence() {
        var balancer = new RandomBalancer(new EndpointSet(endpoints(1, 1, 1)), new BalancerTesting.ScriptedRandom(2, 0, 0, 1));
        assertThat(sequence(balancer, 4)).isEqualTo("c a a b");
    }

    @Test
    void uniformAmongInServiceWeightsIgnored() {
        var eps = endpoints(5, 1, 1, 1);
        eps.get(3).state(EndpointState.UNHEALTHY);
        var balancer = new RandomBalancer(new EndpointSet(eps), new SplittableRandom(42));
        Map<String, Integer> counts = new HashMap<>();
        int picks = 30_000;
        for (int i = 0; i < picks; i++) {
            counts.merge(balancer.pick(PickContext.EMPTY).address(), 1, Integer::sum);
        }
        assertThat(counts).containsOnlyKeys("a", "b", "c");
        counts.values().forEach(c -> assertThat(c / (double) picks).isCloseTo(1 / 3.0, within(0.02)));
    }

    @Test
    void aTriedEndpointGivesWayToTheNextUntried() {
        var eps = endpoints(1, 1, 1);
        var balancer = new RandomBalancer(new EndpointSet(eps), new BalancerTesting.ScriptedRandom(0, 2));
        var ctx = new BalancerTesting.Context().markTried(eps.get(0), eps.get(1));
        assertThat(sequence(balancer, 2, ctx)).isEqualTo("c c");
    }

    @Test
    void nullWhenAllOut() {
        var eps = endpoints(1, 1);
        var balancer = new RandomBalancer(eps);
        eps.forEach(e -> e.state(EndpointState.UNHEALTHY));
        assertThat(balancer.pick(PickContext.EMPTY)).isNull();
    }
}
