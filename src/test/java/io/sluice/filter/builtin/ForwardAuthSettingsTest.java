package io.sluice.filter.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.testkit.FilterTester;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** forward_auth's settings as {@code sluice check} reads them (the calls themselves: GatewayFiltersTest). */
class ForwardAuthSettingsTest {
    @Test
    void defaultsAndErrors() throws Exception {
        ForwardAuth.Settings s = FilterTester.settings(new ForwardAuth(), "{ url: 'http://auth.internal:9000/check' }");
        assertThat(s.requestHeaders()).containsExactly("Authorization", "Cookie");
        assertThat(s.responseHeaders()).isEmpty();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(2));

        assertThat(FilterTester.errors(new ForwardAuth(), "{}")).containsExactly("1:1: missing key 'url' in forward_auth");
        assertThat(FilterTester.errors(new ForwardAuth(), "{ url: 'ftp://auth/check' }")).hasSize(1)
                .first().asString().contains("bad url 'ftp://auth/check'");
        List<String> headers = FilterTester.errors(new ForwardAuth(),
                "{ url: 'http://a/c', request_headers: [Host], response_headers: ['Bad Name'] }");
        assertThat(headers).hasSize(2);
        assertThat(headers.get(0)).contains("'Host' cannot be passed on");
        assertThat(FilterTester.errors(new ForwardAuth(), "{ url: 'http://a/c', timeout: 0s }")).hasSize(1)
                .first().asString().contains("must be more than 0");
    }
}
