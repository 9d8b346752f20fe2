package io.sluice.filter.builtin;

import io.sluice.filter.SharedStores;
import io.sluice.state.RedisStore;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.RequestKey;
import io.sluice.filter.api.Verdict;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * {@code rate_limit}: a token bucket per key value. A bucket holds {@code burst} tokens, starts full and
 * refills at {@code rate}; each request takes one; a request that finds none is answered {@code status}
 * (429) with {@code Retry-After}: the whole seconds until a token is back, at least 1. The buckets outlive a
 * reload of the same filter (a new rate applies to them from then on).
 */
public final class RateLimit implements FilterFactory<RateLimit.Settings> {

    /** {@code rate} as tokens per second; {@code redis}: the buckets live in the shared store. */
    public record Settings(RequestKey key, double perSecond, String rateText, int burst, int status, boolean redis,
                           boolean denyOnStoreError) {
        public Settings(RequestKey key, double perSecond, String rateText, int burst, int status) {
            this(key, perSecond, rateText, burst, status, false, false);
        }
    }

    @Override
    public String type() {
        return "rate_limit";
    }

    @Override
    public List<String> keys() {
        return List.of("key", "rate", "burst", "store", "status", "on_store_error");
    }

    @Override
    public Settings configure(FilterSettings s) {
        RequestKey key = s.value("key", RequestKey.parse("client_ip"), RequestKey::parse);
        boolean hasRate = s.require("rate");
        Double rate = s.value("rate", null, RateLimit::rate);
        String store = s.value("store", "local", v -> {
            if (!v.equals("local") && !v.equals("redis")) {
                throw new IllegalArgumentException("unknown store '" + v + "' (expected local or redis)");
            }
            return v;
        });
        if ("redis".equals(store) && !s.sharedStore()) {
            s.error("store", "store 'redis' needs the top-level 'redis' block (redis: { address: redis://host:6379 })");
        }
        String onError = s.value("on_store_error", "allow", v -> {
            if (!v.equals("allow") && !v.equals("deny")) {
                throw new IllegalArgumentException("unknown on_store_error '" + v + "' (expected allow or deny)");
            }
            return v;
        });
        int status = s.integer("status", 429, 400, 599);
        if (!hasRate || rate == null) {
            return null;
        }
        int defaultBurst = (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.floor(rate)));
        int burst = s.integer("burst", defaultBurst, 1, Integer.MAX_VALUE);
        return new Settings(key, rate, s.string("rate", ""), burst, status, "redis".equals(store), "deny".equals(onError));
    }

    /** {@code N/s}, {@code N/m} or {@code N/h} as tokens per second. */
    static double rate(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        int slash = t.indexOf('/');
        double per = slash < 0 ? -1 : switch (t.substring(slash + 1).strip()) {
            case "s" -> 1;
            case "m" -> 60;
            case "h" -> 3600;
            default -> -1;
        };
        double n;
        try {
            n = slash < 0 ? -1 : Double.parseDouble(t.substring(0, slash).strip());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (per < 0 || n <= 0 || Double.isNaN(n) || Double.isInfinite(n)) {
            throw new IllegalArgumentException("bad rate '" + text + "' (expected N/s, N/m or N/h with N > 0, e.g. 100/s)");
        }
        return n / per;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        if (settings.redis()) {
            RedisStore store = setup instanceof SharedStores shared ? shared.redis() : null;
            if (store == null) {
                throw new IllegalStateException("rate_limit store: redis without a redis store");
            }
            String place = "sluice:rl:" + setup.listener() + ":" + (setup.route() == null ? "" : setup.route()) + ":"
                    + settings.key() + ":" + settings.rateText() + ":";
            return new SharedLimiter(settings, store, place);
        }
        Buckets buckets = setup.keep("buckets", Buckets.class, Buckets::new);
        buckets.refillIn(settings);
        return new Limiter(settings, buckets, System::nanoTime);
    }

    /** The answer to a request that found no token: {@code status} with {@code Retry-After} (at least 1 s). */
    static Verdict refused(Settings settings, long seconds) {
        return Verdict.answer(Reply.text(settings.status(), "rate limit of " + settings.rateText() + " exceeded")
                .header("Retry-After", Long.toString(Math.max(1, seconds))));
    }

    /**
     * {@code store: redis}: the bucket of a key value lives in Redis, shared by every instance that uses the same
     * store (and the same listener, route, key and rate); a request waits for Redis as a {@link Verdict#later},
     * never holding its event loop. When Redis cannot answer within {@code redis.timeout} (down, slow, not yet
     * connected), {@code on_store_error} decides: {@code allow} lets the request through, {@code deny} answers 503.
     */
    static final class SharedLimiter implements Filter {
        private final Settings settings;
        private final RedisStore store;
        private final String place;
        private final double perMs;

        SharedLimiter(Settings settings, RedisStore store, String place) {
            this.settings = settings;
            this.store = store;
            this.place = place;
            this.perMs = settings.perSecond() / 1000;
        }

        @Override
        public Verdict onRequest(FilterContext context) {
            String value = settings.key().of(context);
            if (value == null) {
                return Verdict.next();
            }
            return Verdict.later(store.takeToken(place + value, perMs, settings.burst()).handle((waitMs, failure) -> {
                if (failure != null) {
                    return settings.denyOnStoreError() ? Verdict.answer(503, "the rate limit store cannot be reached")
                            : Verdict.next();
                }
                if (waitMs == 0) {
                    return Verdict.next();
                }
                return refused(settings, (waitMs + 999) / 1000);
            }));
        }
    }

    /**
     * The buckets of one filter, kept across reloads, in a Caffeine cache. A bucket left alone for as long as an
     * empty one takes to fill is full again, the same as a new one: it is forgotten then. Past {@link #MAX_KEYS}
     * key values the least used go first (a new key's next request finds a full bucket; a key in heavy use stays),
     * so a flood of new key values cannot fill the heap (about 150 bytes a key value). Expiry and eviction run in
     * Caffeine's maintenance, on its executor, not on an event loop.
     */
    static final class Buckets {
        static final int MAX_KEYS = 100_000;
        final Cache<String, Bucket> byKey;
        /** How long an empty bucket takes to fill at the current {@code rate} and {@code burst}. */
        private volatile long refillNanos = Long.MAX_VALUE;

        Buckets() {
            this(Ticker.systemTicker());
        }

        Buckets(Ticker ticker) {
            this.byKey = Caffeine.newBuilder().ticker(ticker).maximumSize(MAX_KEYS).expireAfter(new Expiry<String, Bucket>() {
                @Override
                public long expireAfterCreate(String key, Bucket bucket, long now) {
                    return refillNanos;
                }

                @Override
                public long expireAfterUpdate(String key, Bucket bucket, long now, long current) {
                    return refillNanos;
                }

                @Override
                public long expireAfterRead(String key, Bucket bucket, long now, long current) {
                    return refillNanos;
                }
            }).build();
        }

        /** Sets the fill time from a (re)loaded filter's settings; each bucket's next use starts its new clock. */
        void refillIn(Settings settings) {
            double nanos = Math.ceil(settings.burst() / settings.perSecond() * 1e9);
            refillNanos = nanos >= Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : (long) nanos;
        }
    }

    /** One key value's tokens. Locked per bucket: only requests of the same key value contend. */
    static final class Bucket {
        private double tokens;
        private long updated;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updated = now;
        }

        /** Takes a token: 0 when one was there, else the nanoseconds until one is back. */
        synchronized long take(double perNano, int burst, long now) {
            tokens = Math.min(burst, tokens + (now - updated) * perNano);
            updated = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / perNano);
        }
    }

    static final class Limiter implements Filter {
        private final Settings settings;
        private final Buckets buckets;
        private final LongSupplier clock;
        private final double perNano;

        Limiter(Settings settings, Buckets buckets, LongSupplier clock) {
            this.settings = settings;
            this.buckets = buckets;
            this.clock = clock;
            this.perNano = settings.perSecond() / 1e9;
        }

        @Override
        public Verdict onRequest(FilterContext context) {
            String value = settings.key().of(context);
            if (value == null) {
                return Verdict.next(); // a request without the key is not counted
            }
            long now = clock.getAsLong();
            Bucket bucket = buckets.byKey.getIfPresent(value); // first: no capturing lambda on a hit
            if (bucket == null) {
                bucket = buckets.byKey.get(value, v -> new Bucket(settings.burst(), now));
            }
            long wait = bucket.take(perNano, settings.burst(), now);
            if (wait == 0) {
                return Verdict.next();
            }
            return refused(settings, (wait + 999_999_999L) / 1_000_000_000L);
        }
    }
}
