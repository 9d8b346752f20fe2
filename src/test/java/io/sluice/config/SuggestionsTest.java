package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

    private static final List<String> KEYS = List.of("name", "address", "protocol", "routes", "tls", "upstream");

    @Test
    void distanceCountsEditsAndSwaps() {
        assertThat(Suggestions.distance("adress", "address")).isEqualTo(1);
        assertThat(Suggestions.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Suggestions.distance("protocol", "protocol")).isZero();
        assertThat(Suggestions.distance("rotues", "routes")).isEqualTo(1); // a swap counts once
        assertThat(Suggestions.distance("", "abc")).isEqualTo(3);
    }

    @Test
    void suggestsCloseKeys() {
        assertThat(Suggestions.closest("adress", KEYS)).isEqualTo("address");
        assertThat(Suggestions.closest("protocl", KEYS)).isEqualTo("protocol");
        assertThat(Suggestions.closest("ROUTES", KEYS)).isEqualTo("routes");
        assertThat(Suggestions.closest("upstreams", KEYS)).isEqualTo("upstream");
        assertThat(Suggestions.closest("round_robbin", UpstreamConfig.BALANCERS)).isEqualTo("round_robin");
        assertThat(Suggestions.closest("apii", List.of("api", "db"))).isEqualTo("api");
    }

    @Test
    void staysQuietWhenNothingIsClose() {
        assertThat(Suggestions.closest("colour", KEYS)).isNull();
        assertThat(Suggestions.closest("x", List.of("abc"))).isNull();
        assertThat(Suggestions.didYouMean("colour", KEYS)).isEmpty();
    }

    @Test
    void formatsTheHint() {
        assertThat(Suggestions.didYouMean("adress", KEYS)).isEqualTo(" (did you mean 'address'?)");
    }

    @Test
    void tiesGoToTheFirstCandidate() {
        assertThat(Suggestions.closest("ab", List.of("ac", "ad"))).isEqualTo("ac");
    }
}
