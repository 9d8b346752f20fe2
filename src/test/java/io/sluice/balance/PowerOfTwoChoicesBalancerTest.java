package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.inFlight;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PowerOfTwoChoicesBalancerTest {

    @Test
    void theWorkedSequence() {
        var eps = endpoints(1, 1, 1);
        inFlight(eps.get(0), 3);
        inFlight(eps.get(1), 1);
        var balancer = new PowerOfTwoChoicesBalancer(new EndpointSet(eps), new BalancerTesting.ScriptedRandom(0, 0, 2, 0, 1, 1));
        assertThat(sequence(balancer, 3)).isEqualTo("b c c");
    }

    @Test
    void tiesGoToTheEndpointListedFirstAndOneEndpointNeedsNoDraw() {
        var eps = endpoints(1, 1, 1);
        var balancer = new PowerOfTwoChoicesBalancer(new EndpointSet(eps), new BalancerTesting.ScriptedRandom(2, 1));
        assertThat(balancer.pick(PickContext.EMPTY)).isSameAs(eps.get(1)); // pair (c, b)
        eps.get(0).state(EndpointState.UNHEALTHY);
        eps.get(1).state(EndpointState.UNHEALTHY);
        assertThat(sequence(balancer, 2)).isEqualTo("c c"); // the script is empty: no draw was made
        eps.get(2).state(EndpointState.DRAINING);
        assertThat(balancer.pick(PickContext.EMPTY)).isNull();
    }

    @Test
    void keepsTheLoadEvenUnderASkewedStart() {
        var eps = endpoints(1, 1, 1, 1);
        inFlight(eps.get(0), 20);
        var balancer = new PowerOfTwoChoicesBalancer(new EndpointSet(eps), new SplittableRandom(3));
        for (int i = 0; i < 60; i++) {
            balancer.pick(PickContext.EMPTY).requestStarted();
        }
        // 80 in flight over 4: a stays at 20 (it never wins against a less loaded one), the rest share 60.
        assertThat(eps.get(0).inFlight()).isEqualTo(20);
        eps.subList(1, 4).forEach(e -> assertThat(e.inFlight()).isBetween(18, 22));
    }

    @Test
    void triedEndpointsAreAvoided() {
        var eps = endpoints(1, 1, 1);
        inFlight(eps.get(1), 5);
        var ctx = new BalancerTesting.Context().markTried(eps.get(0));
        // Pair (a, b): a was tried, so b despite its load.
        assertThat(new PowerOfTwoChoicesBalancer(new EndpointSet(eps), new BalancerTesting.ScriptedRandom(0, 0)).pick(ctx))
                .isSameAs(eps.get(1));
        // Pair (a, b) both tried: the least loaded untried, c.
        ctx.markTried(eps.get(1));
        assertThat(new PowerOfTwoChoicesBalancer(new EndpointSet(eps), new BalancerTesting.ScriptedRandom(0, 0)).pick(ctx))
                .isSameAs(eps.get(2));
    }
}
