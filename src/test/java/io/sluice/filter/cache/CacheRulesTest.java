package io.sluice.filter.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DateFormatter;
import io.sluice.filter.api.Headers;
import io.sluice.filter.builtin.Cache;
import io.sluice.filter.testkit.FilterTester;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RFC 9111's decisions as the cache makes them, without sockets (through real ones: it/CacheTest). */
class CacheRulesTest {
    private static final long NOW = 1_800_000_000_000L;

    /** Headers in a list, as a response has them. */
    static final class ListHeaders implements Headers {
        final List<Map.Entry<String, String>> fields = new ArrayList<>();

        ListHeaders(String... nameValue) {
            for (int i = 0; i < nameValue.length; i += 2) {
                fields.add(Map.entry(nameValue[i], nameValue[i + 1]));
            }
        }

        @Override
        public String get(String name) {
            List<String> all = getAll(name);
            return all.isEmpty() ? null : all.get(0);
        }

        @Override
        public List<String> getAll(String name) {
            List<String> values = new ArrayList<>();
            for (Map.Entry<String, String> f : fields) {
                if (f.getKey().equalsIgnoreCase(name)) {
                    values.add(f.getValue());
                }
            }
            return values;
        }

        @Override
        public boolean contains(String name) {
            return get(name) != null;
        }

        @Override
        public void set(String name, String value) {
            remove(name);
            add(name, value);
        }

        @Override
        public void add(String name, String value) {
            fields.add(Map.entry(name, value));
        }

        @Override
        public void remove(String name) {
            fields.removeIf(f -> f.getKey().equalsIgnoreCase(name));
        }

        @Override
        public Iterator<Map.Entry<String, String>> iterator() {
            return fields.iterator();
        }
    }

    private static String date(long millis) {
        return DateFormatter.format(new Date(millis));
    }

    @Test
    void cacheControlIsReadAcrossFieldLinesWithQuotesAndBadNumbers() {
        CacheControl cc = CacheControl.parse(List.of("public, max-age=60", "s-maxage=\"30\", no-cache=\"Set-Cookie, X\""), false);
        assertThat(cc.isPublic()).isTrue();
        assertThat(cc.maxAge()).isEqualTo(60);
        assertThat(cc.sMaxAge()).isEqualTo(30);
        assertThat(cc.noCache()).isTrue();
        assertThat(CacheControl.parse(List.of("max-age=abc"), false).maxAge()).isZero(); // invalid: stale
        assertThat(CacheControl.parse(List.of("max-age=10, max-age=20"), false).maxAge()).isZero();
        assertThat(CacheControl.parse(List.of(), true).noCache()).isTrue(); // Pragma: no-cache
        assertThat(CacheControl.parse(List.of("max-age=99999999999999"), false).maxAge()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void lifetimeFollowsSMaxAgeThenMaxAgeThenExpires() {
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "max-age=60, s-maxage=10"), false, 0, NOW))
                .isEqualTo(10_000);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "max-age=60"), false, 0, NOW)).isEqualTo(60_000);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Date", date(NOW), "Expires", date(NOW + 120_000)), false, 0, NOW))
                .isEqualTo(120_000);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Expires", "0"), false, 0, NOW)).isEqualTo(-1); // expired, no validator
        assertThat(CacheRules.lifetime(200, new ListHeaders("Expires", "0", "ETag", "\"a\""), false, 0, NOW)).isZero();
        assertThat(CacheRules.lifetime(200, new ListHeaders(), false, 0, NOW)).isEqualTo(-1);
        assertThat(CacheRules.lifetime(200, new ListHeaders(), false, 5_000, NOW)).isEqualTo(5_000);
        assertThat(CacheRules.lifetime(302, new ListHeaders(), false, 5_000, NOW)).isEqualTo(-1); // not for default_ttl
        assertThat(CacheRules.lifetime(302, new ListHeaders("Cache-Control", "max-age=5"), false, 0, NOW)).isEqualTo(5_000);
    }

    @Test
    void whatIsNeverStored() {
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "no-store, max-age=60"), false, 0, NOW)).isEqualTo(-1);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "private, max-age=60"), false, 0, NOW)).isEqualTo(-1);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "max-age=60", "Set-Cookie", "a=b"), false, 0, NOW))
                .isEqualTo(-1);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "max-age=60", "Vary", "Accept, *"), false, 0, NOW))
                .isEqualTo(-1);
        assertThat(CacheRules.lifetime(206, new ListHeaders("Cache-Control", "max-age=60"), false, 0, NOW)).isEqualTo(-1);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "no-cache, max-age=60"), false, 0, NOW))
                .isEqualTo(-1); // always revalidated, but nothing to revalidate with
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "no-cache", "ETag", "\"a\""), false, 0, NOW))
                .isZero();
    }

    @Test
    void anAuthorizedRequestsResponseIsStoredOnlyWhenTheResponseAllowsIt() {
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "max-age=60"), true, 0, NOW)).isEqualTo(-1);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "public, max-age=60"), true, 0, NOW)).isEqualTo(60_000);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "s-maxage=60"), true, 0, NOW)).isEqualTo(60_000);
        assertThat(CacheRules.lifetime(200, new ListHeaders("Cache-Control", "max-age=60, must-revalidate"), true, 0, NOW))
                .isEqualTo(60_000);
    }

    @Test
    void ageIsTheLargerOfAgeAndHowLateDateIs() {
        assertThat(CacheRules.initialAge("30", date(NOW), NOW)).isEqualTo(30_000);
        assertThat(CacheRules.initialAge(null, date(NOW - 5_000), NOW)).isEqualTo(5_000);
        assertThat(CacheRules.initialAge("x", null, NOW)).isZero();
        StoredResponse r = new StoredResponse(200, List.of(), new byte[0], NOW, 10_000, 60_000, List.of());
        assertThat(r.ageMillis(NOW + 20_000)).isEqualTo(30_000);
        assertThat(r.fresh(NOW + 49_999)).isTrue();
        assertThat(r.fresh(NOW + 50_000)).isFalse();
    }

    @Test
    void conditionalsCompareEtagsWeaklyAndDates() {
        StoredResponse r = new StoredResponse(200, List.of(Map.entry("ETag", "W/\"v1\""),
                Map.entry("Last-Modified", date(NOW - 60_000))), new byte[0], NOW, 0, 1000, List.of());
        assertThat(CacheRules.notModified(r, List.of("\"v1\""), null)).isTrue();
        assertThat(CacheRules.notModified(r, List.of("\"v0\", W/\"v1\""), null)).isTrue();
        assertThat(CacheRules.notModified(r, List.of("*"), null)).isTrue();
        assertThat(CacheRules.notModified(r, List.of("\"v2\""), date(NOW))).isFalse(); // If-None-Match decides alone
        assertThat(CacheRules.notModified(r, List.of(), date(NOW))).isTrue();
        assertThat(CacheRules.notModified(r, List.of(), date(NOW - 120_000))).isFalse();
        assertThat(CacheRules.notModified(r, List.of(), null)).isFalse();
    }

    @Test
    void a304RefreshesFieldsAndFreshness() {
        StoredResponse stale = new StoredResponse(200, List.of(Map.entry("ETag", "\"a\""), Map.entry("Cache-Control", "max-age=1"),
                Map.entry("X-Kept", "yes")), "body".getBytes(), NOW - 100_000, 0, 1000, List.of());
        StoredResponse fresh = CacheRules.refresh(stale, new ListHeaders("Cache-Control", "max-age=30", "Connection", "close"),
                0, NOW);
        assertThat(fresh.header("Cache-Control")).isEqualTo("max-age=30");
        assertThat(fresh.header("X-Kept")).isEqualTo("yes");
        assertThat(fresh.header("Connection")).isNull();
        assertThat(fresh.fresh(NOW + 29_000)).isTrue();
        assertThat(fresh.body()).isEqualTo("body".getBytes());
    }

    @Test
    void storedResponsesSurviveTheRedisFormat() {
        StoredResponse r = new StoredResponse(203, List.of(Map.entry("A", "1"), Map.entry("a", "2")), new byte[] {0, 1, -1},
                NOW, 5, 6, List.of("accept-language"));
        StoredResponse back = StoredResponse.fromBytes(r.toBytes());
        assertThat(back.status()).isEqualTo(203);
        assertThat(back.headers()).isEqualTo(r.headers());
        assertThat(back.body()).isEqualTo(r.body());
        assertThat(back.vary()).isEqualTo(r.vary());
        assertThat(back.lifetimeMillis()).isEqualTo(6);
        assertThat(StoredResponse.fromBytes(new byte[] {0, 0, 0, 9})).isNull();
        assertThat(HttpCache.glob("/a*b?[c]\\")).isEqualTo("/a\\*b\\?\\[c\\]\\\\");
    }

    @Test
    void settingsAreChecked() throws Exception {
        Cache.Settings defaults = FilterTester.settings(new Cache(), "{}");
        assertThat(defaults.memory()).isEqualTo(64L << 20);
        assertThat(defaults.maxObject()).isEqualTo(8L << 20);
        assertThat(defaults.lockTimeoutMillis()).isEqualTo(5_000);
        assertThat(defaults.defaultTtlMillis()).isZero();
        assertThat(FilterTester.errors(new Cache(), "{ redis: true }")).hasSize(1).first().asString()
                .contains("needs the top-level 'redis' block");
        assertThat(FilterTester.errors(new Cache(), "{ memory: 0B }")).hasSize(1).first().asString()
                .contains("nowhere to store");
        assertThat(FilterTester.errors(new Cache(), "{ memory: 1MiB, max_object: 2MiB }")).hasSize(1).first().asString()
                .contains("larger than 'memory'");
        assertThat(FilterTester.errors(new Cache(), "{ lock_timout: 1s }")).hasSize(1).first().asString().contains("lock_timeout");
    }
}
