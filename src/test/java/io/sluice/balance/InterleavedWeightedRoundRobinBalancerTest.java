package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.isRotationOf;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class InterleavedWeightedRoundRobinBalancerTest {

    @Test
    void weights432GiveTheLvsSequence() {
        var balancer = new InterleavedWeightedRoundRobinBalancer(endpoints(4, 3, 2));
        assertThat(sequence(balancer, 18)).isEqualTo("a a b a b c a b c a a b a b c a b c");
    }

    @Test
    void theGcdShortensThePeriod() {
        // gcd 2, max 4: cw 4 → a; cw 2 → a b.
        assertThat(sequence(new InterleavedWeightedRoundRobinBalancer(endpoints(4, 2)), 6)).isEqualTo("a a b a a b");
    }

    @Test
    void theLiveCompareAndSetAlgorithmGivesTheSameSequence() {
        for (int[] weights : List.of(new int[] {4, 3, 2}, new int[] {4, 2}, new int[] {5, 1, 1, 9}, new int[] {1})) {
            var scheduled = new InterleavedWeightedRoundRobinBalancer(new EndpointSet(endpoints(weights)));
            var live = new InterleavedWeightedRoundRobinBalancer(new EndpointSet(endpoints(weights)), 0);
            assertThat(sequence(live, 60)).isEqualTo(sequence(scheduled, 60));
        }
    }

    @Test
    void skipsOutOfServiceTriedAndRebuildsOnWeightChange() {
        var eps = endpoints(4, 3, 2);
        var balancer = new InterleavedWeightedRoundRobinBalancer(eps);
        eps.get(1).state(EndpointState.UNHEALTHY);
        assertThat(isRotationOf(sequence(balancer, 6), "a a c")).isTrue(); // 4, 2: gcd 2
        eps.get(1).state(EndpointState.HEALTHY);
        eps.get(0).weight(1);
        assertThat(isRotationOf(sequence(balancer, 12), "b b c a b c")).isTrue(); // 1, 3, 2: cw 3, 2, 1
        var ctx = new BalancerTesting.Context().markTried(eps.get(1));
        assertThat(balancer.pick(ctx).address()).isEqualTo("c");
        eps.forEach(e -> e.state(EndpointState.UNHEALTHY));
        assertThat(balancer.pick(PickContext.EMPTY)).isNull();
    }
}
