package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesEveryUnit() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("30d")).isEqualTo(Duration.ofDays(30));
    }

    @Test
    void parsesDecimals() {
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("0.5m")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("1.5ms")).isEqualTo(Duration.ofNanos(1_500_000));
    }

    @Test
    void zeroNeedsNoUnit() {
        assertThat(Durations.parse("0")).isZero();
        assertThat(Durations.parse("0s")).isZero();
    }

    @Test
    void bareNumberAsksForAUnit() {
        assertThatThrownBy(() -> Durations.parse("5"))
                .hasMessage("bad duration '5' (expected a number and a unit, e.g. 250ms, 2s, 1m; add a unit, e.g. 5s)");
    }

    @Test
    void rejectsOtherForms() {
        for (String bad : new String[] {"", "s", "2 s", "-1s", "2S", "2sec", "1w", "1m30s", ".5s", "1.s"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad)
                    .hasMessage("bad duration '" + bad + "' (expected a number and a unit, e.g. 250ms, 2s, 1m)");
        }
    }

    @Test
    void rejectsOverflow() {
        assertThatThrownBy(() -> Durations.parse("99999999999999999h")).hasMessage("bad duration '99999999999999999h' (too large)");
    }

    @Test
    void formatsInTheLargestExactUnit() {
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofSeconds(2))).isEqualTo("2s");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2m");
        assertThat(Durations.format(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.format(Duration.ofNanos(1_500_000))).isEqualTo("1.5ms");
    }
}
