package io.sluice.route;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 3986 §6.2.2 and §5.2.4 as the contract's "Matching" asks for them. */
class RequestPathTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "/|/",
        "/a/b|/a/b",
        "/a/b/|/a/b/",
        "//|/",
        "//a///b|/a/b",
        "/a/./b|/a/b",
        "/a/.|/a/",
        "/a/b/..|/a/",
        "/a/b/../c|/a/c",
        "/a/../..b|/..b",
        "/a/..%2Fb|/a/..%2Fb",
        "/.well-known/x|/.well-known/x",
        "/%61dmin|/admin",
        "/%41%5a%7E%2D%2e%5F|/AZ~-._",
        "/a%2Fb|/a%2Fb",
        "/a%2fb|/a%2fb",
        "/a%20b|/a%20b",
        "/x/%2e%2e/admin|/admin",
        "/x/%2E/y|/x/y",
        "*|*",
    })
    void normalises(String path, String expected) {
        assertThat(RequestPath.normalize(path)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../x", "/a/../../x", "/%2e%2e", "/./../x", "/a%", "/a%4", "/a%zz", "/a%4g",
        "/a%\u0664\u0664"})
    void refuses(String path) {
        assertThat(RequestPath.normalize(path)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/api/v1/users", "/a.b/c..d/.e"})
    void returnsTheSameStringWhenNothingChanges(String path) {
        assertThat(RequestPath.normalize(path)).isSameAs(path);
    }
}
