package io.sluice.response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StaticPathTest {

    @Test
    void rootInEveryForm() {
        for (String raw : new String[] {"", "/", "//", "/.", "/./", "/a/..", "/a/%2e%2e/"}) {
            assertThat(StaticPath.parse(raw)).as(raw).isEqualTo(new StaticPath(List.of(), true));
        }
    }

    @Test
    void segmentsAreDecodedAndNormalised() {
        assertThat(StaticPath.parse("/a/b.txt")).isEqualTo(new StaticPath(List.of("a", "b.txt"), false));
        assertThat(StaticPath.parse("/a//b/")).isEqualTo(new StaticPath(List.of("a", "b"), true));
        assertThat(StaticPath.parse("/a/./b/../c")).isEqualTo(new StaticPath(List.of("a", "c"), false));
        assertThat(StaticPath.parse("/a/%2E%2e/c")).isEqualTo(new StaticPath(List.of("c"), false));
        assertThat(StaticPath.parse("/a%20b/caf%C3%A9")).isEqualTo(new StaticPath(List.of("a b", "café"), false));
        assertThat(StaticPath.parse("/a+b/.hidden/...")).isEqualTo(new StaticPath(List.of("a+b", ".hidden", "..."), false));
        assertThat(StaticPath.parse("/dir/.")).isEqualTo(new StaticPath(List.of("dir"), true));
    }

    @Test
    void rawUtf8BytesAsNettyReadsThem() {
        // Netty's request line is one char per byte: "é" arrives as the two chars C3 A9
        assertThat(StaticPath.parse("/caf\u00c3\u00a9").segments()).containsExactly("café");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../secret", "/a/../../secret", "/%2e%2e/secret", "/%2E%2E", "..",
            "/a/..%2f..%2fsecret", "/..%2fsecret", "/%2fetc/passwd", "/..\\secret", "/a%5c..%5c..%5csecret",
            "/%00", "/a.txt%00.html", "/%zz", "/%2", "/a%", "/%c0%ae%c0%ae/secret", "/%ff", "/%ed%a0%80"})
    void rejected(String raw) {
        assertThatThrownBy(() -> StaticPath.parse(raw)).isInstanceOf(IllegalArgumentException.class);
    }
}
