package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.inFlight;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LeastConnectionsBalancerTest {

    @Test
    void fewestInFlightTiesTakenInTurn() {
        var eps = endpoints(1, 1, 1);
        inFlight(eps.get(0), 2);
        var balancer = new LeastConnectionsBalancer(eps);
        StringBuilder picks = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            Endpoint e = balancer.pick(PickContext.EMPTY);
            e.requestStarted();
            picks.append(e.address());
        }
        assertThat(picks.toString()).isEqualTo("bccbbc");
    }

    @Test
    void idleEqualEndpointsRotate() {
        assertThat(sequence(new LeastConnectionsBalancer(endpoints(1, 1, 1)), 6)).isEqualTo("a b c a b c");
    }

    @Test
    void inFlightIsDividedByWeight() {
        var eps = endpoints(3, 1);
        inFlight(eps.get(0), 2); // 2/3 < 1/1
        inFlight(eps.get(1), 1);
        var balancer = new LeastConnectionsBalancer(eps);
        assertThat(sequence(balancer, 3)).isEqualTo("a a a");
        inFlight(eps.get(0), 3); // 3/3 == 1/1: a tie, taken in turn
        assertThat(sequence(balancer, 4)).isEqualTo("b a b a");
        inFlight(eps.get(1), 0);
        assertThat(sequence(balancer, 2)).isEqualTo("b b");
    }

    @Test
    void weightChangeRebuildsTheSnapshot() {
        var eps = endpoints(1, 1);
        inFlight(eps.get(0), 2);
        inFlight(eps.get(1), 1);
        var balancer = new LeastConnectionsBalancer(eps);
        assertThat(sequence(balancer, 2)).isEqualTo("b b");
        eps.get(0).weight(4); // 2/4 < 1/1
        assertThat(sequence(balancer, 2)).isEqualTo("a a");
        eps.get(0).weight(0); // weight 0: out of the weighted balancers
        assertThat(sequence(balancer, 2)).isEqualTo("b b");
    }

    @Test
    void skipsOutOfServiceAndTriedAndIsNullWhenAllOut() {
        var eps = endpoints(1, 1, 1);
        var balancer = new LeastConnectionsBalancer(eps);
        eps.get(0).state(EndpointState.UNHEALTHY);
        var ctx = new BalancerTesting.Context().markTried(eps.get(1));
        assertThat(sequence(balancer, 3, ctx)).isEqualTo("c c c");
        ctx.markTried(eps.get(2));
        assertThat(balancer.pick(ctx)).isIn(eps.get(1), eps.get(2));
        eps.forEach(e -> e.state(EndpointState.UNHEALTHY));
        assertThat(balancer.pick(PickContext.EMPTY)).isNull();
    }
}
