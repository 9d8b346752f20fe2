package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SizesTest {

    @Test
    void parsesEveryUnit() {
        assertThat(Sizes.parse("512B")).isEqualTo(512);
        assertThat(Sizes.parse("64KiB")).isEqualTo(64 * 1024);
        assertThat(Sizes.parse("10MiB")).isEqualTo(10L * 1024 * 1024);
        assertThat(Sizes.parse("1GiB")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("0B")).isZero();
    }

    @Test
    void bareNumberAsksForAUnit() {
        assertThatThrownBy(() -> Sizes.parse("65536")).hasMessage(
                "bad size '65536' (expected a whole number and a unit B, KiB, MiB or GiB, e.g. 64KiB; add a unit, e.g. 65536B)");
    }

    @Test
    void decimalUnitsSuggestTheBinaryOne() {
        assertThatThrownBy(() -> Sizes.parse("64KB")).hasMessage(
                "bad size '64KB' (expected a whole number and a unit B, KiB, MiB or GiB, e.g. 64KiB; did you mean 64KiB?)");
        assertThatThrownBy(() -> Sizes.parse("10m")).hasMessageEndingWith("; did you mean 10MiB?)");
        assertThatThrownBy(() -> Sizes.parse("1G")).hasMessageEndingWith("; did you mean 1GiB?)");
    }

    @Test
    void rejectsOtherForms() {
        for (String bad : new String[] {"", "KiB", "1.5MiB", "-1B", "64kib", "64 KiB x"}) {
            assertThatThrownBy(() -> Sizes.parse(bad)).as(bad)
                    .hasMessage("bad size '" + bad + "' (expected a whole number and a unit B, KiB, MiB or GiB, e.g. 64KiB)");
        }
        assertThatThrownBy(() -> Sizes.parse("99999999999GiB")).hasMessage("bad size '99999999999GiB' (too large)");
    }

    @Test
    void formatsInTheLargestExactUnit() {
        assertThat(Sizes.format(64 * 1024)).isEqualTo("64KiB");
        assertThat(Sizes.format(1 << 20)).isEqualTo("1MiB");
        assertThat(Sizes.format(1L << 31)).isEqualTo("2GiB");
        assertThat(Sizes.format(1000)).isEqualTo("1000B");
        assertThat(Sizes.format(0)).isEqualTo("0B");
    }
}
