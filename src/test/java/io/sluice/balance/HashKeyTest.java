package io.sluice.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HashKeyTest {

    @Test
    void parsesEveryKindCaseInsensitivelyKeepingTheNamesCase() {
        assertThat(HashKey.parse("source_ip")).isSameAs(HashKey.SOURCE_IP);
        assertThat(HashKey.parse("URI")).hasToString("uri");
        assertThat(HashKey.parse(" path ")).hasToString("path");
        assertThat(HashKey.parse("Header:X-User")).hasToString("header:X-User");
        assertThat(HashKey.parse("cookie:sid")).hasToString("cookie:sid");
        assertThat(HashKey.parse("query:tenant")).hasToString("query:tenant");
    }

    @Test
    void rejectsWhatItDoesNotKnowWithAConfigurationMessage() {
        for (String bad : new String[] {"", "header:", "header", "ip", "uri:x", "body:x"}) {
            assertThatThrownBy(() -> HashKey.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("hash_on: '" + bad + "' (expected: source_ip, uri, path, header:NAME, cookie:NAME or query:NAME)");
        }
    }

    @Test
    void theHashIsFnv1aThenTheMurmur3Finalizer() {
        assertThat(HashKey.hash("")).isEqualTo(HashKey.mix(0xcbf29ce484222325L));
        long fnvA = (0xcbf29ce484222325L ^ 'a') * 0x100000001b3L;
        assertThat(HashKey.hash("a")).isEqualTo(HashKey.mix(fnvA));
        assertThat(HashKey.hash("user-1")).isNotEqualTo(HashKey.hash("user-2"));
    }
}
