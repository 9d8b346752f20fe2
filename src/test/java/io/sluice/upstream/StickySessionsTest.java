package io.sluice.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.balance.Endpoint;
import io.sluice.balance.PickContext;
import io.sluice.config.EndpointConfig;
import io.sluice.config.StickyConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class StickySessionsTest {
    private final List<Endpoint> endpoints = List.of(
            new Endpoint(new EndpointConfig("10.0.0.1:80", "10.0.0.1", 80, false, 1), 0),
            new Endpoint(new EndpointConfig("10.0.0.2:80", "10.0.0.2", 80, false, 1), 1));

    private static PickContext withCookie(String cookie) {
        return new PickContext() {
            @Override public String sourceIp() { return null; }
            @Override public String uri() { return "/"; }
            @Override public String path() { return "/"; }
            @Override public String header(String name) { return null; }
            @Override public String cookie(String name) { return name.equals("S") ? cookie : null; }
            @Override public String queryParam(String name) { return null; }
            @Override public boolean tried(Endpoint endpoint) { return false; }
        };
    }

    @Test
    void tokensAreStableOpaqueAndPerUpstream() {
        assertThat(StickySessions.token("app", "10.0.0.1:80")).hasSize(16).isEqualTo(StickySessions.token("app",
                "10.0.0.1:80")).isNotEqualTo(StickySessions.token("other", "10.0.0.1:80")).doesNotContain("10.0");
    }

    @Test
    void insertModeSetsSecureOnHttpsAndSessionCookieWithoutTtl() {
        StickySessions s = new StickySessions(new StickyConfig("S", null, "local", null), "app", endpoints, null,
                null);
        HttpHeaders h = new DefaultHttpHeaders();
        s.onResponse(h, endpoints.get(1), withCookie(null), true);
        assertThat(h.getAll("Set-Cookie")).containsExactly("S=" + s.token(endpoints.get(1)) + "; Path=/; HttpOnly; Secure");
        HttpHeaders none = new DefaultHttpHeaders();
        s.onResponse(none, endpoints.get(1), withCookie(s.token(endpoints.get(1))), true);
        assertThat(none.contains("Set-Cookie")).isFalse();
        assertThat(s.endpointFor(withCookie(s.token(endpoints.get(1))), null)).isSameAs(endpoints.get(1));
    }

    @Test
    void setCookieValuesAreReadForTheNamedCookieOnly() {
        assertThat(StickySessions.valueOf("JSESSIONID=abc; Path=/", "JSESSIONID")).isEqualTo("abc");
        assertThat(StickySessions.valueOf("JSESSIONID=\"q\"", "JSESSIONID")).isEqualTo("q");
        assertThat(StickySessions.valueOf("JSESSIONIDX=abc", "JSESSIONID")).isNull();
        assertThat(StickySessions.valueOf("theme=dark", "JSESSIONID")).isNull();
    }

    @Test
    void learnModeBindsAndALaterConfigWithTheSameSettingsKeepsTheBindings() {
        StickyConfig config = new StickyConfig(null, "S", "local", java.time.Duration.ofMinutes(5));
        StickySessions s = new StickySessions(config, "app", endpoints, null, null);
        HttpHeaders h = new DefaultHttpHeaders().add("Set-Cookie", "S=xyz; Path=/");
        s.onResponse(h, endpoints.get(0), withCookie(null), false);
        assertThat(s.endpointFor(withCookie("xyz"), null)).isSameAs(endpoints.get(0));
        StickySessions next = new StickySessions(config, "app", endpoints, s, null);
        assertThat(next.endpointFor(withCookie("xyz"), null)).isSameAs(endpoints.get(0));
        StickySessions changed = new StickySessions(new StickyConfig(null, "S", "local",
                java.time.Duration.ofMinutes(6)), "app", endpoints, s, null);
        assertThat(changed.endpointFor(withCookie("xyz"), null)).isNull();
    }
}
