package io.sluice.filter.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.testkit.FilterTester;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-in filters through the test kit: no sockets, Sluice's own chain runner. */
class BuiltinFiltersTest {

    @Test
    void rateLimitRefusesTheRequestAfterTheBurstWithRetryAfter() throws Exception {
        try (FilterTester t = FilterTester.of(new RateLimit(), "{ key: 'header:X-Key', rate: 1/m, burst: 2 }")) {
            assertThat(t.request("GET", "/").header("X-Key", "a").send().passed()).isTrue();
            assertThat(t.request("GET", "/").header("X-Key", "a").send().passed()).isTrue();
            FilterTester.Outcome third = t.request("GET", "/").header("X-Key", "a").send();
            assertThat(third.passed()).isFalse();
            assertThat(third.reply().status()).isEqualTo(429);
            String retryAfter = third.reply().headers().stream().filter(h -> h.getKey().equals("Retry-After"))
                    .findFirst().orElseThrow().getValue();
            assertThat(Integer.parseInt(retryAfter)).isBetween(1, 60);
            assertThat(t.request("GET", "/").header("X-Key", "b").send().passed()).isTrue(); // another key
            assertThat(t.request("GET", "/").send().passed()).isTrue(); // no key: not counted
        }
    }

    @Test
    void rateLimitSettingsAreChecked() {
        assertThat(FilterTester.errors(new RateLimit(), "{ rate: 10/d }"))
                .containsExactly("1:9: bad rate '10/d' (expected N/s, N/m or N/h with N > 0, e.g. 100/s)");
        assertThat(FilterTester.errors(new RateLimit(), "{ burst: 3 }")).containsExactly("1:1: missing key 'rate' in rate_limit");
        assertThat(FilterTester.errors(new RateLimit(), "{ rate: 1/s, key: 'head:X' }")).hasSize(1)
                .first().asString().contains("bad key 'head:X'");
        assertThat(FilterTester.errors(new RateLimit(), "{ rate: 1/s, store: redis }")).hasSize(1)
                .first().asString().contains("needs the top-level 'redis' block");
        assertThat(FilterTester.errors(new RateLimit(), "{ rate: 1/s, brust: 3 }")).hasSize(1)
                .first().asString().contains("did you mean 'burst'");
    }

    @Test
    void concurrencyLimitQueuesInOrderAndAdmitsWhenASlotFrees() throws Exception {
        try (FilterTester t = FilterTester.of(new ConcurrencyLimit(), "{ max: 1, queue: 1, queue_timeout: 30s }")) {
            FilterTester.Outcome first = t.request("GET", "/").send();
            assertThat(first.passed()).isTrue();
            FilterTester.Outcome second = t.request("GET", "/").start();
            assertThat(second.decided()).isNotDone(); // queued
            FilterTester.Outcome third = t.request("GET", "/").send();
            assertThat(third.reply().status()).isEqualTo(503); // the queue is full
            first.end();
            assertThat(second.decided().get()).isTrue();
        }
    }

    @Test
    void concurrencyLimitAnswers503AfterTheQueueTimeoutAndALeavingClientFreesItsPlace() throws Exception {
        try (FilterTester t = FilterTester.of(new ConcurrencyLimit(), "{ max: 1, queue: 1, queue_timeout: 50ms }")) {
            FilterTester.Outcome first = t.request("GET", "/").send();
            FilterTester.Outcome waited = t.request("GET", "/").send();
            assertThat(waited.reply().status()).isEqualTo(503);
            assertThat(waited.reply().detail()).contains("no free slot");
            first.end();
        }
        try (FilterTester t = FilterTester.of(new ConcurrencyLimit(), "{ max: 1, queue: 1, queue_timeout: 30s }")) {
            FilterTester.Outcome first = t.request("GET", "/").send();
            FilterTester.Outcome leaving = t.request("GET", "/").start();
            leaving.end(); // its client left the queue
            FilterTester.Outcome next = t.request("GET", "/").start();
            assertThat(next.decided()).isNotDone(); // queued in the freed place, not refused
            first.end();
            assertThat(next.decided().get()).isTrue();
        }
    }

    @Test
    void bodyLimitRefusesALargerContentLength() throws Exception {
        try (FilterTester t = FilterTester.of(new BodyLimit(), "{ max: 1KiB }")) {
            assertThat(t.request("POST", "/").header("Content-Length", "1024").send().passed()).isTrue();
            FilterTester.Outcome big = t.request("POST", "/").header("Content-Length", "1025").send();
            assertThat(big.reply().status()).isEqualTo(413);
        }
        assertThat(FilterTester.errors(new BodyLimit(), "{}")).containsExactly("1:1: missing key 'max' in body_limit");
    }

    @Test
    void ipFilterDeniesAndAllowsByAddressAndCidr() throws Exception {
        try (FilterTester t = FilterTester.of(new IpFilter(),
                "{ allow: [10.0.0.0/8, '2001:db8::/32'], deny: [10.1.2.3] }")) {
            assertThat(t.request("GET", "/").clientIp("10.9.8.7").send().passed()).isTrue();
            assertThat(t.request("GET", "/").clientIp("::ffff:10.9.8.7").send().passed()).isTrue();
            assertThat(t.request("GET", "/").clientIp("2001:db8::1").send().passed()).isTrue();
            assertThat(t.request("GET", "/").clientIp("10.1.2.3").send().reply().status()).isEqualTo(403);
            assertThat(t.request("GET", "/").clientIp("192.0.2.1").send().reply().status()).isEqualTo(403);
        }
        assertThat(FilterTester.errors(new IpFilter(), "{ deny: [10.0.0.0/33] }")).hasSize(1)
                .first().asString().contains("bad prefix length");
        assertThat(FilterTester.errors(new IpFilter(), "{ deny: [nothere] }")).hasSize(1)
                .first().asString().contains("bad address 'nothere'");
    }

    @Test
    void rewriteReplacesThePathAndKeepsTheQuery() throws Exception {
        try (FilterTester t = FilterTester.of(new Rewrite(), "{ path_regex: '^/old/(.*)', replacement: '/new/$1' }")) {
            assertThat(t.request("GET", "/old/a/b?x=1").send().uri()).isEqualTo("/new/a/b?x=1");
            assertThat(t.request("GET", "/other?x=1").send().uri()).isEqualTo("/other?x=1");
        }
        assertThat(FilterTester.errors(new Rewrite(), "{ path_regex: '^/(a)', replacement: '/$2' }")).hasSize(1)
                .first().asString().contains("group $2");
    }

    @Test
    void responseFiltersSeeTheResponse() throws Exception {
        try (FilterTester t = FilterTester.of(new io.sluice.filter.TestFilters.Tag(), "{ name: T }")) {
            FilterTester.Outcome out = t.request("GET", "/").send();
            assertThat(out.requestHeaders()).containsEntry("X-Order", List.of("T"));
            Map<String, List<String>> response = out.respond(200);
            assertThat(response).containsEntry("X-Order", List.of("T"));
        }
    }
}
