package io.sluice.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

class RequestValuesTest {

    @Test
    void cookieIsFoundByExactNameInAnyCookieHeader() {
        HttpHeaders h = new DefaultHttpHeaders().add("Cookie", "a=1; beta=2").add("Cookie", "user=\"u 7\"");
        assertThat(RequestValues.cookie(h, "beta")).isEqualTo("2");
        assertThat(RequestValues.cookie(h, "a")).isEqualTo("1");
        assertThat(RequestValues.cookie(h, "user")).isEqualTo("u 7");
        assertThat(RequestValues.cookie(h, "bet")).isNull();
        assertThat(RequestValues.cookie(h, "Beta")).isNull();
        assertThat(RequestValues.cookie(new DefaultHttpHeaders(), "a")).isNull();
        assertThat(RequestValues.cookie("x=; y=3", "x")).isEmpty();
        assertThat(RequestValues.cookie("x=1;y=3 ", "y")).isEqualTo("3");
    }

    @Test
    void queryParameterIsDecodedAndTheFirstWins() {
        assertThat(RequestValues.query("/p?a=1&b=x%20y&a=2", "a")).isEqualTo("1");
        assertThat(RequestValues.query("/p?a=1&b=x%20y", "b")).isEqualTo("x y");
        assertThat(RequestValues.query("/p?a=1&b=x+y", "b")).isEqualTo("x y");
        assertThat(RequestValues.query("/p?flag&c=", "flag")).isEmpty();
        assertThat(RequestValues.query("/p?flag&c=", "c")).isEmpty();
        assertThat(RequestValues.query("/p?ab=1", "a")).isNull();
        assertThat(RequestValues.query("/p", "a")).isNull();
        assertThat(RequestValues.query("/p?na%6De=v", "name")).isEqualTo("v");
    }
}
