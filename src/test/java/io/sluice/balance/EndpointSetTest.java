package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EndpointSetTest {

    @Test
    void stateAndWeightChangesMoveTheVersionOfEverySetInFlightDoesNot() {
        var eps = endpoints(1, 1);
        var one = new EndpointSet(eps);
        var two = new EndpointSet(eps.subList(0, 1));
        eps.get(0).state(EndpointState.UNHEALTHY);
        assertThat(one.version()).isEqualTo(1);
        assertThat(two.version()).isEqualTo(1);
        eps.get(0).state(EndpointState.UNHEALTHY); // no change, no move
        eps.get(1).weight(1);
        assertThat(one.version()).isEqualTo(1);
        eps.get(1).weight(3);
        eps.get(1).requestStarted();
        assertThat(one.version()).isEqualTo(2);
        assertThat(two.version()).isEqualTo(1);
        two.close();
        eps.get(0).state(EndpointState.HEALTHY);
        assertThat(one.version()).isEqualTo(3);
        assertThat(two.version()).isEqualTo(1);
    }

    @Test
    void aNegativeWeightIsRejected() {
        assertThatThrownBy(() -> endpoints(1).get(0).weight(-1)).hasMessage("weight: -1 (expected: >= 0)");
    }

    @Test
    void aPickAfterAChangeSeesIt() {
        var eps = endpoints(1, 1);
        var balancer = new LeastConnectionsBalancer(eps);
        assertThat(balancer.pick(PickContext.EMPTY)).isSameAs(eps.get(0));
        eps.get(0).state(EndpointState.DRAINING);
        for (int i = 0; i < 4; i++) {
            assertThat(balancer.pick(PickContext.EMPTY)).isSameAs(eps.get(1));
        }
    }
}
