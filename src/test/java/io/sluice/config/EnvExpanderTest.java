package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvExpanderTest {

    private final EnvExpander env = new EnvExpander(Map.of("HOST", "10.0.0.1", "PORT", "9001", "EMPTY", ""));

    @Test
    void expandsReferences() {
        assertThat(env.expand("${HOST}:${PORT}")).isEqualTo("10.0.0.1:9001");
        assertThat(env.expand("http://${HOST}/")).isEqualTo("http://10.0.0.1/");
        assertThat(env.expand("no references")).isEqualTo("no references");
        assertThat(env.expand("$HOST and $ alone")).isEqualTo("$HOST and $ alone");
    }

    @Test
    void defaultsApplyWhenUnsetOrEmpty() {
        assertThat(env.expand("${MISSING:-8080}")).isEqualTo("8080");
        assertThat(env.expand("${EMPTY:-x}")).isEqualTo("x");
        assertThat(env.expand("${PORT:-1}")).isEqualTo("9001");
        assertThat(env.expand("${MISSING:-}")).isEmpty();
        assertThat(env.expand("${EMPTY}")).isEmpty();
    }

    @Test
    void unsetWithoutDefaultIsAnError() {
        assertThatThrownBy(() -> env.expand("${MISSING}")).hasMessage(
                "environment variable 'MISSING' is not set (write ${MISSING:-default} to give a default)");
    }

    @Test
    void aDefaultCannotHoldAReference() {
        assertThatThrownBy(() -> env.expand("${MISSING:-${HOST}}")).hasMessage(
                "a default cannot contain ${...} in '${MISSING:-${HOST}}'; set the variable instead");
        assertThatThrownBy(() -> env.expand("${PORT:-x${HOST}}")).hasMessageContaining("a default cannot contain");
    }

    @Test
    void malformedReferencesAreErrors() {
        assertThatThrownBy(() -> env.expand("${HOST")).hasMessage(
                "unterminated '${' in '${HOST' (expected ${NAME} or ${NAME:-default})");
        assertThatThrownBy(() -> env.expand("${1X}")).hasMessage(
                "bad variable reference '${1X}' (expected ${NAME} or ${NAME:-default})");
        assertThatThrownBy(() -> env.expand("${}")).hasMessageStartingWith("bad variable reference '${}'");
    }
}
