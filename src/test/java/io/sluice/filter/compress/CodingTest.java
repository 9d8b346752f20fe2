package io.sluice.filter.compress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CodingTest {
    @Test
    void zstdAndBrotliAreShippedForLinuxX64Only() {
        assertThat(Coding.linuxX64("Linux", "amd64")).isTrue();
        assertThat(Coding.linuxX64("Linux", "x86_64")).isTrue();
        assertThat(Coding.linuxX64("Linux", "aarch64")).isFalse();
        assertThat(Coding.linuxX64("Mac OS X", "x86_64")).isFalse();
        assertThat(Coding.of("br")).isEqualTo(Coding.BR);
        assertThat(Coding.of("deflate")).isNull();
    }
}
