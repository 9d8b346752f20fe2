package io.sluice.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.config.EndpointConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.upstream.Upstream;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitTest {

    private static Upstream upstream(String name) {
        return new Upstream(new UpstreamConfig(name, "round_robin", null, 160, 0, null,
                List.of(new EndpointConfig("127.0.0.1:9001", "127.0.0.1", 9001, false, 1)), null, null, null, null));
    }

    private static final Upstream A = upstream("a");
    private static final Upstream B = upstream("b");
    private static final Upstream C = upstream("c");

    private static HttpRequest request(String cookie) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        if (cookie != null) {
            r.headers().set("Cookie", "user=" + cookie);
        }
        return r;
    }

    private static String sequence(Split split, int n) {
        return IntStream.range(0, n).mapToObj(i -> split.pick(request(null), "10.0.0.1").name())
                .collect(Collectors.joining(" "));
    }

    @Test
    void weightsOneAndThreeGiveExactlyOneAndThreeOfEveryFourSpread() {
        Split split = new Split(new Upstream[] {A, B}, new int[] {1, 3}, null);
        assertThat(sequence(split, 8)).isEqualTo("b a b b b a b b");
    }

    @Test
    void smoothOrderAsNginxForFiveOneOneAndZeroWeightSidesGetNothing() {
        assertThat(sequence(new Split(new Upstream[] {A, B, C}, new int[] {5, 1, 1}, null), 7))
                .isEqualTo("a a b a c a a");
        assertThat(sequence(new Split(new Upstream[] {A, B}, new int[] {0, 2}, null), 3)).isEqualTo("b b b");
        assertThat(sequence(new Split(new Upstream[] {A, B}, new int[] {10, 10}, null), 4)).isEqualTo("a b a b");
    }

    @Test
    void aKeyValueAlwaysGoesToTheSameSideAndTheShareOfValuesFollowsTheWeights() {
        Split split = new Split(new Upstream[] {A, B}, new int[] {1, 3}, SplitKey.parse("cookie:user"));
        int onA = 0;
        for (int i = 0; i < 4000; i++) {
            String side = split.pick(request("u" + i), null).name();
            for (int again = 0; again < 3; again++) {
                assertThat(split.pick(request("u" + i), null).name()).isEqualTo(side);
            }
            if (side.equals("a")) {
                onA++;
            }
        }
        assertThat(onA).isBetween(900, 1100); // a quarter of 4000 values; the hash is fixed, so is this count
        // Without the key: the round-robin turn.
        assertThat(sequence(split, 4)).isEqualTo("b a b b");
    }

    @Test
    void keysReadTheVocabulary() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/p?v=x%201");
        r.headers().set("X-User", "h").set("Cookie", "s=c");
        assertThat(SplitKey.parse("client_ip").of(r, "10.1.1.1")).isEqualTo("10.1.1.1");
        assertThat(SplitKey.parse("header:x-user").of(r, null)).isEqualTo("h");
        assertThat(SplitKey.parse("cookie:s").of(r, null)).isEqualTo("c");
        assertThat(SplitKey.parse("query:v").of(r, null)).isEqualTo("x 1");
        assertThat(SplitKey.parse("query:w").of(r, null)).isNull();
    }
}
