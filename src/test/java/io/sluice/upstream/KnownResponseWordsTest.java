package io.sluice.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The shared words of a response head: given only for bytes that are exactly the word, wherever they lie. */
class KnownResponseWordsTest {

    /** {@code word} inside a longer line, as the decoder sees it. */
    private static byte[] line(String word) {
        return ("xx" + word + "yy").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static CharSequence name(String word) {
        return KnownResponseWords.fieldName(line(word), 2, word.length());
    }

    @Test
    void theCommonResponseFieldNamesAreShared() {
        assertThat(name("Content-Type")).hasToString("Content-Type").isSameAs(name("Content-Type"));
        assertThat(name("server")).hasToString("server");
        assertThat(name("ETag")).hasToString("ETag");
        assertThat(name("CONTENT-TYPE")).isNull(); // would change the case forwarded
        assertThat(name("X-Unknown")).isNull();
    }

    @Test
    void theVersionIsSharedWhenItIsHttp11Or10() {
        assertThat(KnownResponseWords.version(line("HTTP/1.1"), 2, 8)).isEqualTo("HTTP/1.1")
                .isSameAs(KnownResponseWords.version(line("HTTP/1.1"), 2, 8));
        assertThat(KnownResponseWords.version(line("HTTP/1.0"), 2, 8)).isEqualTo("HTTP/1.0");
        assertThat(KnownResponseWords.version(line("HTTP/1.2"), 2, 8)).isNull();
        assertThat(KnownResponseWords.version(line("http/1.1"), 2, 8)).isNull();
        assertThat(KnownResponseWords.version(line("HTTP/2"), 2, 6)).isNull();
    }

    @Test
    void aStatusCodeIsThreeDigitsFrom100To599() {
        assertThat(KnownResponseWords.statusCode(line("200"), 2, 3)).isEqualTo(200);
        assertThat(KnownResponseWords.statusCode(line("599"), 2, 3)).isEqualTo(599);
        assertThat(KnownResponseWords.statusCode(line("099"), 2, 3)).isEqualTo(-1);
        assertThat(KnownResponseWords.statusCode(line("600"), 2, 3)).isEqualTo(-1);
        assertThat(KnownResponseWords.statusCode(line("20x"), 2, 3)).isEqualTo(-1);
        assertThat(KnownResponseWords.statusCode(line("2000"), 2, 4)).isEqualTo(-1);
        assertThat(KnownResponseWords.codeText(404)).isEqualTo("404").isSameAs(KnownResponseWords.codeText(404));
    }

    @Test
    void theReasonPhraseIsSharedOnlyWhenItIsTheCodesUsualOne() {
        assertThat(KnownResponseWords.reasonPhrase(200, line("OK"), 2, 2)).isEqualTo("OK");
        assertThat(KnownResponseWords.reasonPhrase(404, line("Not Found"), 2, 9)).isEqualTo("Not Found");
        assertThat(KnownResponseWords.reasonPhrase(200, line("Ok"), 2, 2)).isNull();
        assertThat(KnownResponseWords.reasonPhrase(200, line("Fine"), 2, 4)).isNull();
        assertThat(KnownResponseWords.reasonPhrase(404, line("OK"), 2, 2)).isNull();
        assertThat(KnownResponseWords.reasonPhrase(-1, line("OK"), 2, 2)).isNull();
    }
}
