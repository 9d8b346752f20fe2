package io.sluice.response;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.response.ByteRange.Kind;
import org.junit.jupiter.api.Test;

class ByteRangeTest {

    private static ByteRange partial(String header, long size) {
        ByteRange.Request request = ByteRange.parse(header, size);
        assertThat(request.kind()).as(header).isEqualTo(Kind.PARTIAL);
        return request.range();
    }

    private static Kind kind(String header, long size) {
        return ByteRange.parse(header, size).kind();
    }

    @Test
    void singleRanges() {
        assertThat(partial("bytes=0-4", 13)).isEqualTo(new ByteRange(0, 4));
        assertThat(partial("bytes=7-", 13)).isEqualTo(new ByteRange(7, 12));
        assertThat(partial("bytes=-6", 13)).isEqualTo(new ByteRange(7, 12));
        assertThat(partial("bytes=-100", 13)).isEqualTo(new ByteRange(0, 12));
        assertThat(partial("bytes=5-1000", 13)).isEqualTo(new ByteRange(5, 12));
        assertThat(partial("Bytes = 12-12 ", 13)).isEqualTo(new ByteRange(12, 12));
        assertThat(partial("bytes=0-99999999999999999999999", 13)).isEqualTo(new ByteRange(0, 12));
        assertThat(new ByteRange(7, 12).length()).isEqualTo(6);
    }

    @Test
    void unsatisfiable() {
        assertThat(kind("bytes=13-", 13)).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(kind("bytes=13-20", 13)).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(kind("bytes=99999999999999999999999-", 13)).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(kind("bytes=-0", 13)).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(kind("bytes=0-", 0)).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(kind("bytes=-5", 0)).isEqualTo(Kind.UNSATISFIABLE);
    }

    @Test
    void ignored() {
        assertThat(kind(null, 13)).isEqualTo(Kind.IGNORE);
        assertThat(kind("bytes=0-1,3-4", 13)).isEqualTo(Kind.IGNORE); // several ranges: the whole file
        assertThat(kind("items=0-4", 13)).isEqualTo(Kind.IGNORE);
        assertThat(kind("bytes=4-0", 13)).isEqualTo(Kind.IGNORE);
        assertThat(kind("bytes=a-b", 13)).isEqualTo(Kind.IGNORE);
        assertThat(kind("bytes=-", 13)).isEqualTo(Kind.IGNORE);
        assertThat(kind("bytes=5", 13)).isEqualTo(Kind.IGNORE);
        assertThat(kind("bytes 0-4", 13)).isEqualTo(Kind.IGNORE);
        assertThat(kind("bytes=+1-2", 13)).isEqualTo(Kind.IGNORE);
    }
}
