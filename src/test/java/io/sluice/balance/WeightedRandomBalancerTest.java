package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightedRandomBalancerTest {

    @Test
    void theWorkedSequence() {
        var balancer = new WeightedRandomBalancer(new EndpointSet(endpoints(3, 1)), new BalancerTesting.ScriptedRandom(0, 3, 2, 1));
        assertThat(sequence(balancer, 4)).isEqualTo("a b a a");
    }

    @Test
    void inProportionToWeight() {
        var balancer = new WeightedRandomBalancer(new EndpointSet(endpoints(5, 1, 2)), new SplittableRandom(7));
        assertThat(shares(balancer, 40_000)).containsOnlyKeys("a", "b", "c");
        var shares = shares(balancer, 40_000);
        assertThat(shares.get("a")).isCloseTo(5 / 8.0, within(0.02));
        assertThat(shares.get("b")).isCloseTo(1 / 8.0, within(0.02));
        assertThat(shares.get("c")).isCloseTo(2 / 8.0, within(0.02));
    }

    @Test
    void weightChangeAndOutOfServiceRebuildTheSnapshot() {
        List<Endpoint> eps = endpoints(5, 1, 2);
        var balancer = new WeightedRandomBalancer(new EndpointSet(eps), new SplittableRandom(7));
        eps.get(0).weight(0);
        eps.get(2).weight(3);
        var shares = shares(balancer, 40_000);
        assertThat(shares).containsOnlyKeys("b", "c");
        assertThat(shares.get("c")).isCloseTo(3 / 4.0, within(0.02));
        eps.get(2).state(EndpointState.UNHEALTHY);
        assertThat(sequence(balancer, 5)).isEqualTo("b b b b b");
        eps.get(1).state(EndpointState.UNHEALTHY);
        assertThat(balancer.pick(PickContext.EMPTY)).isNull();
    }

    @Test
    void aTriedDrawIsRedrawnAmongTheUntriedByWeight() {
        var eps = endpoints(5, 1, 2);
        // Draw 0 → a (tried); the untried weigh 1 + 2: redraw 1 → c.
        var balancer = new WeightedRandomBalancer(new EndpointSet(eps), new BalancerTesting.ScriptedRandom(0, 1));
        assertThat(balancer.pick(new BalancerTesting.Context().markTried(eps.get(0)))).isSameAs(eps.get(2));
        var all = new WeightedRandomBalancer(new EndpointSet(eps), new BalancerTesting.ScriptedRandom(5));
        assertThat(all.pick(new BalancerTesting.Context().markTried(eps.toArray(Endpoint[]::new)))).isSameAs(eps.get(1));
    }

    private static Map<String, Double> shares(Balancer balancer, int picks) {
        Map<String, Double> shares = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            shares.merge(balancer.pick(PickContext.EMPTY).address(), 1.0 / picks, Double::sum);
        }
        return shares;
    }
}
