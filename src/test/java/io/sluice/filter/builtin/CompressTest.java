package io.sluice.filter.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.compress.AcceptEncoding;
import io.sluice.filter.compress.Coding;
import io.sluice.filter.compress.CompressingStream;
import io.sluice.filter.compress.Decoders;
import io.sluice.filter.testkit.FilterTester;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** compress's decisions and its three codings' streams, without sockets (through real ones: GatewayFiltersTest). */
class CompressTest {
    private static final List<Coding> ALL = List.of(Coding.ZSTD, Coding.BR, Coding.GZIP);

    @Test
    void theClientsQualitiesChooseThenTheConfiguredOrder() {
        assertThat(accepted("gzip, deflate, br, zstd")).containsExactly(Coding.ZSTD, Coding.BR, Coding.GZIP);
        assertThat(accepted("gzip, deflate, br")).containsExactly(Coding.BR, Coding.GZIP);
        assertThat(accepted("br;q=0.5, GZIP;q=1.0, zstd;q=0.5")).containsExactly(Coding.GZIP, Coding.ZSTD, Coding.BR);
        assertThat(accepted("x-gzip")).containsExactly(Coding.GZIP);
        assertThat(accepted("gzip;q=0")).isEmpty();
        assertThat(accepted("*")).containsExactly(Coding.ZSTD, Coding.BR, Coding.GZIP);
        assertThat(accepted("*;q=0.1, gzip;q=0, br")).containsExactly(Coding.BR, Coding.ZSTD);
        assertThat(accepted("identity")).isEmpty();
        assertThat(accepted("identity;q=0, gzip;q=bad")).isEmpty();
        assertThat(accepted(List.of())).isEmpty();
        assertThat(AcceptEncoding.acceptable(List.of(Coding.GZIP, Coding.ZSTD), List.of("zstd, gzip")))
                .as("the configured order breaks ties").containsExactly(Coding.GZIP, Coding.ZSTD);
        assertThat(AcceptEncoding.acceptable(List.of(Coding.GZIP), List.of("zstd, br"))).isEmpty();
    }

    private static List<Coding> accepted(String acceptEncoding) {
        return accepted(List.of(acceptEncoding));
    }

    private static List<Coding> accepted(List<String> acceptEncoding) {
        return AcceptEncoding.acceptable(ALL, acceptEncoding);
    }

    @Test
    void typesMatchWithWildcardsAndSuffixes() {
        List<String> types = Compress.DEFAULT_TYPES;
        assertThat(Compress.listed(types, "text/html; charset=utf-8")).isTrue();
        assertThat(Compress.listed(types, "application/problem+json")).isTrue();
        assertThat(Compress.listed(types, "image/svg+xml")).isTrue();
        assertThat(Compress.listed(types, "image/png")).isFalse();
        assertThat(Compress.listed(types, "application/octet-stream")).isFalse();
        assertThat(Compress.listed(types, null)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Coding.class)
    void partsMakeOneStreamWhoseFirstPartDecodesBeforeTheRestComes(Coding coding) throws Exception {
        String text = "part one, ".repeat(500) + "part two. ".repeat(700);
        byte[] all = text.getBytes(StandardCharsets.UTF_8);
        CompressingStream stream = coding.open();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(stream.compress(ByteBuffer.wrap(all, 0, 5000).asReadOnlyBuffer(), false));
        byte[] flushed = out.toByteArray();
        out.write(stream.compress(ByteBuffer.allocateDirect(all.length - 5000).put(all, 5000, all.length - 5000)
                .flip().asReadOnlyBuffer(), false));
        out.write(stream.compress(ByteBuffer.allocate(0), true));
        stream.close(); // as the end of the request does: nothing more to free

        assertThat(Decoders.decodedSoFar(coding, flushed, 5000)).as("the first part alone")
                .isEqualTo(java.util.Arrays.copyOf(all, 5000));
        try (InputStream in = Decoders.decoder(coding, out.toByteArray())) {
            assertThat(in.readAllBytes()).isEqualTo(all);
        }
        assertThat(out.size()).isLessThan(all.length / 20);
    }

    @ParameterizedTest
    @EnumSource(Coding.class)
    void aStreamClosedBeforeItsLastPartFreesItselfOnce(Coding coding) {
        CompressingStream stream = coding.open();
        stream.compress(ByteBuffer.wrap("a client that goes away".getBytes(StandardCharsets.UTF_8)), false);
        stream.close();
        stream.close();
    }

    @Test
    void settingsAreChecked() throws Exception {
        Compress.Settings defaults = FilterTester.settings(new Compress(), "{}");
        assertThat(defaults.minLength()).isEqualTo(1024);
        assertThat(defaults.algorithms()).containsExactly(Coding.ZSTD, Coding.BR, Coding.GZIP);
        assertThat(FilterTester.settings(new Compress(), "{ algorithms: [gzip, zstd] }").algorithms())
                .containsExactly(Coding.GZIP, Coding.ZSTD);
        assertThat(FilterTester.errors(new Compress(), "{ algorithms: [lzma] }")).hasSize(1)
                .first().asString().contains("unknown algorithm 'lzma' (expected zstd, br or gzip)");
        assertThat(FilterTester.errors(new Compress(), "{ algorithms: [br, br] }")).hasSize(1)
                .first().asString().contains("'br' is listed twice");
        assertThat(FilterTester.errors(new Compress(), "{ algorithms: [] }")).hasSize(1)
                .first().asString().contains("'algorithms' is empty");
        assertThat(FilterTester.errors(new Compress(), "{ types: ['text'] }")).hasSize(1)
                .first().asString().contains("bad media type 'text'");
    }
}
