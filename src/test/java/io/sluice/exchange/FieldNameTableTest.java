package io.sluice.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A name is found only for bytes that are exactly one of the table's forms, wherever they lie in the line. */
class FieldNameTableTest {
    private final FieldNameTable table = new FieldNameTable("Content-Type", "ETag", "TE");

    private CharSequence find(String word) {
        byte[] line = ("xx" + word + "yy").getBytes(StandardCharsets.ISO_8859_1);
        return table.find(line, 2, word.length());
    }

    @Test
    void aNameIsFoundAsGivenAndInLowerCaseOnly() {
        assertThat(find("Content-Type")).hasToString("Content-Type").isSameAs(find("Content-Type"));
        assertThat(find("content-type")).hasToString("content-type");
        assertThat(find("ETag")).hasToString("ETag");
        assertThat(find("etag")).hasToString("etag");
        assertThat(find("te")).hasToString("te");
        assertThat(find("CONTENT-TYPE")).isNull(); // would change the case forwarded
        assertThat(find("Etag")).isNull();
        assertThat(find("Content-Typo")).isNull();
    }

    @Test
    void otherLengthsFindNothing() {
        assertThat(find("")).isNull();
        assertThat(find("X")).isNull();
        assertThat(find("A-Name-Longer-Than-Any-In-The-Table")).isNull();
    }
}
