package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code split} and {@code split_on} against real upstreams. */
class SplitFlowTest {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String get(SluiceUnderTest sluice, String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(sluice.uri("main", path)).timeout(Duration.ofSeconds(60));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString()).body().trim();
    }

    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /sticky/ }
                    split: [ { upstream: v2, weight: 1 }, { upstream: v1, weight: 3 } ]
                    split_on: cookie:user
                  - split:
                      - { upstream: v2, weight: 1 }
                      - { upstream: v1, weight: 3 }
            upstreams:
              v1: { endpoints: [ { address: "${UP1}" } ] }
              v2: { endpoints: [ { address: "${UP2}" } ] }
            """;

    @Test
    void sidesTakeExactTurnsByWeight() throws Exception {
        try (TestUpstream v1 = TestUpstream.start("v1");
             TestUpstream v2 = TestUpstream.start("v2");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(v1, v2))) {
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                seen.add(get(sluice, "/x", null));
            }
            assertThat(seen).containsExactly("v1", "v2", "v1", "v1", "v1", "v2", "v1", "v1", "v1", "v2", "v1", "v1");
        }
    }

    @Test
    void aKeyValueStaysOnItsSideAndRequestsWithoutItTakeTurns() throws Exception {
        try (TestUpstream v1 = TestUpstream.start("v1");
             TestUpstream v2 = TestUpstream.start("v2");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, TestUpstream.env(v1, v2))) {
            int onV2 = 0;
            for (int user = 0; user < 200; user++) {
                String first = get(sluice, "/sticky/a", "user=u" + user);
                assertThat(get(sluice, "/sticky/b", "other=1; user=u" + user)).isEqualTo(first);
                if (first.equals("v2")) {
                    onV2++;
                }
            }
            assertThat(onV2).isBetween(30, 70); // a quarter of 200 values, by a fixed hash
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                seen.add(get(sluice, "/sticky/c", null));
            }
            assertThat(seen).containsExactly("v1", "v2", "v1", "v1");
        }
    }
}
