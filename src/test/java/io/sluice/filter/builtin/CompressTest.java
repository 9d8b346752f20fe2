package io.sluice.filter.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.testkit.FilterTester;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** compress's decisions and its gzip stream, without sockets (through real ones: GatewayFiltersTest). */
class CompressTest {
    @Test
    void acceptEncodingIsReadWithQualities() {
        assertThat(Compress.acceptsGzip(List.of("gzip, deflate, br"))).isTrue();
        assertThat(Compress.acceptsGzip(List.of("br;q=1.0, GZIP;q=0.5"))).isTrue();
        assertThat(Compress.acceptsGzip(List.of("gzip;q=0"))).isFalse();
        assertThat(Compress.acceptsGzip(List.of("*"))).isTrue();
        assertThat(Compress.acceptsGzip(List.of("*;q=0.1, gzip;q=0"))).isFalse();
        assertThat(Compress.acceptsGzip(List.of("identity"))).isFalse();
        assertThat(Compress.acceptsGzip(List.of())).isFalse();
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

    @Test
    void partsMakeOneGzipStreamThatDecodesToTheWhole() throws Exception {
        Compress.Gzip gzip = new Compress.Gzip();
        String text = "part one, ".repeat(500) + "part two. ".repeat(700);
        byte[] all = text.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(gzip.compress(ByteBuffer.wrap(all, 0, 5000).asReadOnlyBuffer(), false));
        byte[] flushed = out.toByteArray();
        out.write(gzip.compress(ByteBuffer.wrap(all, 5000, all.length - 5000).asReadOnlyBuffer(), false));
        out.write(gzip.compress(ByteBuffer.allocate(0), true));
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            assertThat(in.readAllBytes()).isEqualTo(all);
        }
        assertThat(flushed.length).isGreaterThan(10); // the first part was flushed, not held back
    }

    @Test
    void settingsAreChecked() throws Exception {
        assertThat(FilterTester.settings(new Compress(), "{}").minLength()).isEqualTo(1024);
        assertThat(FilterTester.errors(new Compress(), "{ algorithms: [zstd, gzip] }")).hasSize(1)
                .first().asString().contains("'zstd' is not available in this version (gzip is)");
        assertThat(FilterTester.errors(new Compress(), "{ algorithms: [lzma] }")).hasSize(1)
                .first().asString().contains("unknown algorithm 'lzma'");
        assertThat(FilterTester.errors(new Compress(), "{ types: ['text'] }")).hasSize(1)
                .first().asString().contains("bad media type 'text'");
    }
}
