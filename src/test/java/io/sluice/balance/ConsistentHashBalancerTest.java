package io.sluice.balance;

import static io.sluice.balance.BalancerTesting.addressed;
import static io.sluice.balance.BalancerTesting.endpoints;
import static io.sluice.balance.BalancerTesting.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConsistentHashBalancerTest {
    private static final HashKey USER = HashKey.parse("header:X-User");

    private static ConsistentHashBalancer ring(List<Endpoint> eps) {
        return new ConsistentHashBalancer(eps, USER, 160, 0);
    }

    private static Endpoint pick(Balancer balancer, String user) {
        return balancer.pick(new BalancerTesting.Context().header("x-user", user));
    }

    @Test
    void theMappingIsStableAndDependsOnAddressesNotListOrder() {
        var eps = addressed(5);
        var balancer = ring(eps);
        StringBuilder mapping = new StringBuilder();
        for (int i = 1; i <= 8; i++) {
            mapping.append(pick(balancer, "user-" + i).index());
        }
        // Pinned: a change here remaps every user of every deployment on upgrade.
        assertThat(mapping.toString()).isEqualTo(PINNED);
        var reversed = new ArrayList<>(eps);
        java.util.Collections.reverse(reversed);
        var other = ring(reversed);
        for (int i = 1; i <= 8; i++) {
            assertThat(pick(other, "user-" + i)).isSameAs(pick(balancer, "user-" + i));
        }
    }

    private static final String PINNED = "33300213";

    @Test
    void anEndpointGoingOutMovesOnlyItsOwnKeysToTheNextOnTheRingAndTheyComeBack() {
        var eps = addressed(5);
        var balancer = ring(eps);
        int keys = 10_000;
        Endpoint[] before = new Endpoint[keys];
        for (int k = 0; k < keys; k++) {
            before[k] = pick(balancer, "key-" + k);
        }
        Endpoint out = eps.get(2);
        out.state(EndpointState.UNHEALTHY);
        var reference = new ReferenceRing(eps, 160);
        int moved = 0;
        for (int k = 0; k < keys; k++) {
            Endpoint now = pick(balancer, "key-" + k);
            if (now != before[k]) {
                moved++;
                assertThat(before[k]).isSameAs(out);
                assertThat(now).isSameAs(reference.nextAfter("key-" + k, out));
            } else {
                assertThat(now).isNotSameAs(out);
            }
        }
        assertThat(moved).isBetween(keys / 5 - 500, keys / 5 + 500); // about 1/N
        out.state(EndpointState.HEALTHY);
        for (int k = 0; k < keys; k++) {
            assertThat(pick(balancer, "key-" + k)).isSameAs(before[k]);
        }
    }

    @Test
    void keysSpreadInProportionToWeightAndAWeightChangeRebuildsTheRing() {
        var eps = addressed(3);
        var balancer = ring(eps);
        assertThat(shares(balancer)).allSatisfy((e, share) -> assertThat(share).isBetween(0.25, 0.42));
        eps.get(0).weight(2);
        assertThat(shares(balancer).get(eps.get(0))).isBetween(0.42, 0.58);
        eps.get(0).weight(0);
        assertThat(shares(balancer)).doesNotContainKey(eps.get(0));
    }

    private static Map<Endpoint, Double> shares(Balancer balancer) {
        Map<Endpoint, Double> shares = new HashMap<>();
        for (int k = 0; k < 4000; k++) {
            shares.merge(pick(balancer, "key-" + k), 1 / 4000.0, Double::sum);
        }
        return shares;
    }

    @Test
    void aRequestWithoutTheKeyGoesRoundRobin() {
        var balancer = ring(endpoints(1, 1, 1));
        assertThat(sequence(balancer, 6)).isEqualTo("a b c a b c");
    }

    @Test
    void aTriedEndpointMakesTheKeyWalkOnAndAllTriedGivesItsHome() {
        var eps = addressed(5);
        var balancer = ring(eps);
        Endpoint home = pick(balancer, "alice");
        var ctx = new BalancerTesting.Context().header("X-User", "alice").markTried(home);
        Endpoint second = balancer.pick(ctx);
        assertThat(second).isNotSameAs(home).isSameAs(new ReferenceRing(eps, 160).nextAfter("alice", home));
        ctx.markTried(eps.toArray(Endpoint[]::new));
        assertThat(balancer.pick(ctx)).isSameAs(home);
    }

    @Test
    void nullWhenAllOut() {
        var eps = addressed(2);
        var balancer = ring(eps);
        eps.forEach(e -> e.state(EndpointState.UNHEALTHY));
        assertThat(pick(balancer, "alice")).isNull();
        assertThat(balancer.pick(PickContext.EMPTY)).isNull();
    }

    @Test
    void boundedLoadKeepsEveryEndpointWithinCeilOfOnePlusEpsilonTimesTheMean() {
        var eps = addressed(5);
        double epsilon = 0.25;
        var bounded = new ConsistentHashBalancer(eps, USER, 160, epsilon);
        String[] hot = {"hot-1", "hot-2", "hot-3"}; // a skewed workload: three users send everything
        var random = new SplittableRandom(11);
        for (int i = 1; i <= 300; i++) {
            pick(bounded, hot[random.nextInt(hot.length)]).requestStarted();
            int total = i;
            long cap = (long) Math.ceil((1 + epsilon) * total / eps.size());
            eps.forEach(e -> assertThat(e.inFlight()).as("%s at %d in flight", e, total).isLessThanOrEqualTo((int) cap));
        }
        // Requests finishing in between: each pick still lands within the bound of its moment.
        for (int i = 0; i < 300; i++) {
            if (random.nextBoolean()) {
                Endpoint busy = eps.stream().max(Comparator.comparingInt(Endpoint::inFlight)).orElseThrow();
                busy.requestFinished();
            }
            long totalBefore = eps.stream().mapToInt(Endpoint::inFlight).sum();
            Endpoint e = pick(bounded, hot[random.nextInt(hot.length)]);
            e.requestStarted();
            assertThat(e.inFlight()).isLessThanOrEqualTo((int) Math.ceil((1 + epsilon) * (totalBefore + 1) / eps.size()));
        }
    }

    @Test
    void withoutTheBoundHotKeysPileUp() {
        var eps = addressed(5);
        var unbounded = ring(eps);
        for (int i = 0; i < 300; i++) {
            pick(unbounded, "hot-" + (i % 3)).requestStarted();
        }
        assertThat(eps.stream().mapToInt(Endpoint::inFlight).max().orElseThrow()).isGreaterThanOrEqualTo(100);
    }

    @Test
    void everyHashOnKindReadsItsPartOfTheRequest() {
        var eps = addressed(5);
        var ctx = new BalancerTesting.Context();
        ctx.sourceIp = "192.0.2.7";
        ctx.uri = "/a?b=c";
        ctx.path = "/a";
        ctx.cookies.put("sid", "s-1");
        ctx.query.put("b", "c");
        ctx.header("X-User", "u-1");
        var reference = new ReferenceRing(eps, 160);
        for (String spec : List.of("source_ip", "uri", "path", "cookie:sid", "query:b", "header:x-user")) {
            String value = HashKey.parse(spec).of(ctx);
            assertThat(new ConsistentHashBalancer(eps, HashKey.parse(spec), 160, 0).pick(ctx))
                    .as(spec).isSameAs(reference.nextAfter(value, null));
        }
        assertThat(List.of("192.0.2.7", "/a?b=c", "/a", "s-1", "c", "u-1"))
                .isEqualTo(List.of("source_ip", "uri", "path", "cookie:sid", "query:b", "header:x-user").stream()
                        .map(s -> HashKey.parse(s).of(ctx)).toList());
    }

    /** The ring recomputed from the documented point formula, over every endpoint whatever its state. */
    private static final class ReferenceRing {
        private final List<long[]> points = new ArrayList<>();
        private final List<Endpoint> endpoints;

        ReferenceRing(List<Endpoint> endpoints, int virtualNodes) {
            this.endpoints = endpoints;
            for (int i = 0; i < endpoints.size(); i++) {
                long base = HashKey.hash(endpoints.get(i).address());
                for (int k = 0; k < virtualNodes * endpoints.get(i).weight(); k++) {
                    points.add(new long[] {ConsistentHashBalancer.point(base, k), i});
                }
            }
            points.sort(Comparator.<long[]>comparingLong(p -> p[0]).thenComparingLong(p -> p[1]));
        }

        /** The owner of the first point at or after the key's hash that is not {@code skip}'s. */
        Endpoint nextAfter(String key, Endpoint skip) {
            long h = HashKey.hash(key);
            int start = 0;
            while (start < points.size() && points.get(start)[0] < h) {
                start++;
            }
            for (int i = 0; i < points.size(); i++) {
                Endpoint e = endpoints.get((int) points.get((start + i) % points.size())[1]);
                if (e != skip) {
                    return e;
                }
            }
            return null;
        }
    }
}
