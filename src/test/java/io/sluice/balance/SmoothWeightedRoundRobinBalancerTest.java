package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.isRotationOf;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinBalancerTest {

    @Test
    void weights511GiveTheNginxSequenceNeverABurst() {
        var balancer = new SmoothWeightedRoundRobinBalancer(endpoints(5, 1, 1));
        assertThat(sequence(balancer, 14)).isEqualTo("a a b a c a a a a b a c a a");
    }

    @Test
    void theLiveLockedAlgorithmGivesTheSameSequenceAsThePrecomputedPeriod() {
        for (int[] weights : List.of(new int[] {5, 1, 1}, new int[] {4, 3, 2}, new int[] {10, 2, 2, 7}, new int[] {3})) {
            var scheduled = new SmoothWeightedRoundRobinBalancer(new EndpointSet(endpoints(weights)));
            var live = new SmoothWeightedRoundRobinBalancer(new EndpointSet(endpoints(weights)), 0);
            assertThat(sequence(live, 60)).isEqualTo(sequence(scheduled, 60));
        }
    }

    @Test
    void scaledWeightsGiveTheSameOrder() {
        assertThat(sequence(new SmoothWeightedRoundRobinBalancer(endpoints(50, 10, 10)), 7)).isEqualTo("a a b a c a a");
    }

    @Test
    void weightChangeRebuildsTheRotation() {
        var eps = endpoints(5, 1, 1);
        var balancer = new SmoothWeightedRoundRobinBalancer(eps);
        assertThat(sequence(balancer, 7)).isEqualTo("a a b a c a a");
        eps.get(0).weight(1);
        assertThat(isRotationOf(sequence(balancer, 6), "a b c")).isTrue();
        eps.get(2).weight(0);
        assertThat(isRotationOf(sequence(balancer, 4), "a b")).isTrue();
        eps.get(2).weight(2);
        assertThat(isRotationOf(sequence(balancer, 8), "c a b c")).isTrue();
    }

    @Test
    void skipsOutOfServiceAndTried() {
        var eps = endpoints(5, 1, 1);
        var balancer = new SmoothWeightedRoundRobinBalancer(eps);
        eps.get(0).state(EndpointState.UNHEALTHY);
        assertThat(sequence(balancer, 4)).isEqualTo("b c b c");
        eps.get(0).state(EndpointState.HEALTHY);
        var ctx = new BalancerTesting.Context().markTried(eps.get(0));
        assertThat(sequence(balancer, 7, ctx)).doesNotContain("a");
    }

    @Test
    void nullWhenAllOut() {
        var eps = endpoints(5, 1);
        var balancer = new SmoothWeightedRoundRobinBalancer(eps);
        eps.forEach(e -> e.state(EndpointState.UNHEALTHY));
        assertThat(balancer.pick(PickContext.EMPTY)).isNull();
    }
}
