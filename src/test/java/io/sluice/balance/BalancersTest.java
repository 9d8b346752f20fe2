package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.UpstreamConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class BalancersTest {

    static UpstreamConfig config(String balancer, String hashOn) {
        return new UpstreamConfig("api", balancer, hashOn, UpstreamConfig.DEFAULT_VIRTUAL_NODES, 0, null,
                List.of(), null, null, null, null);
    }

    @Test
    void createCoversEveryConfigurableName() {
        assertThat(Balancers.names()).containsExactlyInAnyOrderElementsOf(UpstreamConfig.BALANCERS);
        for (String name : UpstreamConfig.BALANCERS) {
            var eps = endpoints(2, 1);
            Balancer balancer = Balancers.create(config(name, null), eps);
            assertThat(balancer.pick(PickContext.EMPTY)).as(name).isIn(eps.toArray());
            eps.forEach(e -> e.state(EndpointState.UNHEALTHY));
            assertThat(balancer.pick(PickContext.EMPTY)).as(name).isNull();
        }
    }

    @Test
    void eachNameBuildsItsAlgorithm() {
        assertThat(Balancers.create(config("weighted_round_robin", null), endpoints(1)))
                .isInstanceOf(SmoothWeightedRoundRobinBalancer.class);
        assertThat(Balancers.create(config("lvs_weighted_round_robin", null), endpoints(1)))
                .isInstanceOf(InterleavedWeightedRoundRobinBalancer.class);
        assertThat(Balancers.create(config("consistent_hash", "cookie:sid"), endpoints(1)))
                .isInstanceOf(ConsistentHashBalancer.class);
        assertThat(Balancers.create(config("peak_ewma", null), endpoints(1))).isInstanceOf(PeakEwmaBalancer.class);
    }

    @Test
    void unknownNamesAndBadHashKeysAreRejected() {
        assertThatThrownBy(() -> Balancers.create(config("fastest", null), endpoints(1)))
                .hasMessageStartingWith("unknown balancer: fastest (expected one of [random, weighted_random");
        assertThatThrownBy(() -> Balancers.create(config("consistent_hash", "body"), endpoints(1)))
                .hasMessageStartingWith("hash_on: 'body'");
    }
}
