package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.isRotationOf;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RoundRobinBalancerTest {

    @Test
    void eachInTurnStartingWithTheFirstListedWeightsIgnored() {
        var balancer = new RoundRobinBalancer(endpoints(5, 1, 1));
        assertThat(sequence(balancer, 7)).isEqualTo("a b c a b c a");
    }

    @Test
    void skipsEndpointsOutOfServiceAndTakesThemBackWhenTheyReturn() {
        var eps = endpoints(1, 1, 1);
        var balancer = new RoundRobinBalancer(eps);
        eps.get(1).state(EndpointState.UNHEALTHY);
        assertThat(sequence(balancer, 4)).isEqualTo("a c a c");
        eps.get(1).state(EndpointState.HEALTHY);
        // The rotation keeps its position across the change: the order is fixed, the phase is not.
        assertThat(isRotationOf(sequence(balancer, 6), "a b c")).isTrue();
    }

    @Test
    void aTriedEndpointPassesItsTurnToTheNextWithoutConsumingAnother() {
        var eps = endpoints(1, 1, 1);
        var balancer = new RoundRobinBalancer(eps);
        var ctx = new BalancerTesting.Context().markTried(eps.get(0));
        assertThat(balancer.pick(ctx).address()).isEqualTo("b");
        assertThat(sequence(balancer, 3)).isEqualTo("b c a");
    }

    @Test
    void allTriedStillPicksOne() {
        var eps = endpoints(1, 1);
        var ctx = new BalancerTesting.Context().markTried(eps.get(0), eps.get(1));
        assertThat(sequence(new RoundRobinBalancer(eps), 2, ctx)).isEqualTo("a b");
    }

    @Test
    void nullWhenAllOutOrNone() {
        var eps = endpoints(1, 1);
        var balancer = new RoundRobinBalancer(eps);
        eps.forEach(e -> e.state(EndpointState.DRAINING));
        assertThat(balancer.pick(PickContext.EMPTY)).isNull();
        assertThat(new RoundRobinBalancer(endpoints()).pick(PickContext.EMPTY)).isNull();
    }
}
