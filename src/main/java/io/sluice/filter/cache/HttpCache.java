package io.sluice.filter.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.sluice.filter.api.Headers;
import io.sluice.state.RedisStore;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store of one {@code cache} filter: a local level in memory (Caffeine, bounded by bytes) and, with
 * {@code redis: true}, a second level in the shared Redis that every instance reads. Kept across reloads.
 * Any thread: lookups and stores run on event loops, never waiting (Redis answers come back as stages).
 *
 * <p>Keys: {@code PATH?QUERY HOST} (the path first, so a purge by path prefix is a prefix match, in Redis a
 * SCAN). A response with {@code Vary} is stored under its key plus the values of the named request fields,
 * and the plain key holds the list of names ({@link VaryNames}) that says how to make that variant key.
 * Invalidating a key removes that list only: its variants can no longer be found, and a variant older than
 * the list that a later response brings is ignored, so none of them comes back.
 */
public final class HttpCache {
    private static final Logger log = LoggerFactory.getLogger(HttpCache.class);

    /** How long a stale response with a validator is kept after its freshness ends, to be revalidated (nginx: 10m inactive). */
    static final long STALE_KEPT_MILLIS = TimeUnit.MINUTES.toMillis(10);
    private static final long VARY_KEPT_MILLIS = TimeUnit.DAYS.toMillis(1);
    static final String REDIS_ENTRY = "sluice:cache:e:";
    static final String REDIS_VARY = "sluice:cache:v:";

    /** The names a key's responses vary on, and since when: a variant stored before is from an invalidated past. */
    record VaryNames(List<String> names, long since) {
        byte[] toBytes() {
            return RedisStore.utf8(since + "\n" + String.join("\n", names));
        }

        static VaryNames fromBytes(byte[] bytes) {
            String[] lines = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).split("\n");
            try {
                return new VaryNames(List.of(lines).subList(1, lines.length), Long.parseLong(lines[0]));
            } catch (RuntimeException e) {
                return null; // written by another version
            }
        }
    }

    private volatile Cache<String, Object> memory; // null: no local level (memory: 0)
    private volatile long memoryBytes = -1;
    private volatile RedisStore redis;              // null: no shared level
    private volatile String namespace = "";
    private volatile io.sluice.metrics.CacheStats stats = new io.sluice.metrics.CacheStats("", "");
    private final ConcurrentHashMap<String, CompletableFuture<Void>> misses = new ConcurrentHashMap<>();
    private volatile long redisFailureLogged;
    /**
     * Bytes of responses on their way to Redis. Lettuce queues what the connection cannot send yet; a Redis that
     * stops answering without closing the connection would have every stored response queue there, so writes over
     * this bound are skipped (the response stays in memory; another instance fetches it upstream).
     */
    private final java.util.concurrent.atomic.AtomicLong redisWriting = new java.util.concurrent.atomic.AtomicLong();
    static final long REDIS_WRITING_MAX = 64L << 20;

    /**
     * Applies the settings of the configuration in force (at start and at each reload).
     *
     * @param namespace the filter's place ({@code listener/route}): part of every key, so that two routes (a
     *                  canary and its stable side, an http and an https listener) never answer with each other's
     *                  responses, in Redis either
     */
    public synchronized void configure(long memoryBytes, RedisStore redis, String listener, String route) {
        this.redis = redis;
        this.namespace = listener + "/" + route;
        if (!stats.listener().equals(listener) || !stats.route().equals(route)) {
            stats = new io.sluice.metrics.CacheStats(listener, route);
        }
        if (memoryBytes == this.memoryBytes) {
            return;
        }
        Cache<String, Object> current = memory;
        if (memoryBytes <= 0) {
            memory = null;
            stats.memory(null);
        } else if (current == null) {
            memory = Caffeine.newBuilder()
                    .maximumWeight(memoryBytes)
                    .weigher((String key, Object value) -> key.length() * 2
                            + (value instanceof StoredResponse r ? r.weight() : 64))
                    .expireAfter(new KeepTime())
                    .executor(Runnable::run) // upkeep on the caller: no hand-off to the common pool per write
                    .build();
        } else {
            current.policy().eviction().ifPresent(e -> e.setMaximum(memoryBytes));
        }
        this.memoryBytes = memoryBytes;
        Cache<String, Object> m = memory;
        if (m != null) {
            stats.memory(new io.sluice.metrics.CacheStats.Memory() {
                @Override
                public long bytes() {
                    return m.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
                }

                @Override
                public long entries() {
                    return m.estimatedSize();
                }
            });
        }
    }

    /** What this cache did, for /metrics. */
    public io.sluice.metrics.CacheStats stats() {
        return stats;
    }

    public boolean shared() {
        return redis != null;
    }

    /**
     * The key of a request: its path and query as the client sent them, its host, and the filter's place (after a
     * tab, which neither a request target nor a host can hold).
     */
    public String key(String uri, String host) {
        return uri + " " + (host == null ? "" : host.toLowerCase(java.util.Locale.ROOT)) + "\t" + namespace;
    }

    /** The variant key of {@code base} for a request's values of the {@code names} fields. */
    static String variant(String base, List<String> names, Headers request) {
        StringBuilder b = new StringBuilder(base.length() + 32).append(base);
        for (String n : names) {
            b.append('\n').append(n).append(':');
            List<String> values = request.getAll(n);
            for (int i = 0; i < values.size(); i++) {
                b.append(i == 0 ? "" : ",").append(values.get(i).strip());
            }
        }
        return b.toString();
    }

    /** The response stored in memory for a request, or null. */
    public StoredResponse local(String base, Headers request) {
        Cache<String, Object> m = memory;
        if (m == null) {
            return null;
        }
        Object found = m.getIfPresent(base);
        if (found instanceof VaryNames v) {
            found = m.getIfPresent(variant(base, v.names(), request));
            return found instanceof StoredResponse r && r.responseMillis() >= v.since() ? r : null;
        }
        return found instanceof StoredResponse r ? r : null;
    }

    /**
     * The response Redis holds for a request (then kept in memory too), or null: none, or Redis did not answer
     * (logged at most once a minute; the request goes upstream, which is what the level is for).
     */
    public CompletionStage<StoredResponse> fromShared(String base, Headers request) {
        RedisStore r = redis;
        if (r == null) {
            return CompletableFuture.completedFuture(null);
        }
        return r.get(REDIS_ENTRY + base).thenCompose(bytes -> {
            if (bytes != null) {
                return CompletableFuture.completedFuture(StoredResponse.fromBytes(bytes));
            }
            return r.get(REDIS_VARY + base).thenCompose(marker -> {
                VaryNames v = marker == null ? null : VaryNames.fromBytes(marker);
                if (v == null) {
                    return CompletableFuture.completedFuture(null);
                }
                return r.get(REDIS_ENTRY + variant(base, v.names(), request)).thenApply(variant -> {
                    StoredResponse found = variant == null ? null : StoredResponse.fromBytes(variant);
                    return found != null && found.responseMillis() >= v.since() ? found : null;
                });
            });
        }).handle((found, failure) -> {
            if (failure != null) {
                redisFailed(failure);
                return null;
            }
            if (found != null) {
                putLocal(base, found, request);
            }
            return found;
        });
    }

    /** Stores a response in every level (Redis in the background). */
    public void store(String base, StoredResponse response, Headers request) {
        putLocal(base, response, request);
        RedisStore r = redis;
        if (r == null) {
            return;
        }
        long keep = keepMillis(response, System.currentTimeMillis());
        int size = response.body().length;
        if (redisWriting.addAndGet(size) > REDIS_WRITING_MAX) {
            redisWriting.addAndGet(-size);
            redisFailed(new IllegalStateException("over " + (REDIS_WRITING_MAX >> 20) + " MiB of responses not yet"
                    + " written to redis; this one is kept in memory only"));
            return;
        }
        String entryKey = REDIS_ENTRY + (response.vary().isEmpty() ? base : variant(base, response.vary(), request));
        r.set(entryKey, response.toBytes(), keep).whenComplete((ok, e) -> {
            redisWriting.addAndGet(-size);
            redisFailed(e);
        });
        if (response.vary().isEmpty()) {
            r.delete(REDIS_VARY + base);
        } else {
            r.delete(REDIS_ENTRY + base);
            // the names are written again only when they changed: a new list (and its "since") hides the variants
            // stored under the old one
            r.get(REDIS_VARY + base).thenAccept(current -> {
                VaryNames v = current == null ? null : VaryNames.fromBytes(current);
                if (v == null || !v.names().equals(response.vary())) {
                    r.set(REDIS_VARY + base, new VaryNames(response.vary(), response.responseMillis()).toBytes(),
                            VARY_KEPT_MILLIS);
                }
            });
        }
    }

    private void putLocal(String base, StoredResponse response, Headers request) {
        Cache<String, Object> m = memory;
        if (m == null) {
            return;
        }
        if (response.vary().isEmpty()) {
            m.put(base, response);
            return;
        }
        Object marker = m.getIfPresent(base);
        if (!(marker instanceof VaryNames v) || !v.names().equals(response.vary())) {
            m.put(base, new VaryNames(response.vary(), response.responseMillis()));
        }
        m.put(variant(base, response.vary(), request), response);
    }

    /** Forgets every response of a key (an unsafe method changed the resource, RFC 9111 §4.4). */
    public void invalidate(String base) {
        Cache<String, Object> m = memory;
        if (m != null) {
            m.invalidate(base);
        }
        RedisStore r = redis;
        if (r != null) {
            r.delete(REDIS_ENTRY + base, REDIS_VARY + base).whenComplete((n, e) -> redisFailed(e));
        }
    }

    // ---------------------------------------------------------------- concurrent misses

    /**
     * The first miss on {@code base} leads: null, and {@link #done} when its response is complete. Any later
     * miss gets the leader's future to wait on.
     */
    public CompletableFuture<Void> lead(String base, CompletableFuture<Void> mine) {
        return misses.putIfAbsent(base, mine);
    }

    /** The miss under way for {@code base} (what {@link #lead} would return), or null; without taking the lead. */
    public CompletableFuture<Void> leader(String base) {
        return misses.get(base);
    }

    public void done(String base, CompletableFuture<Void> mine) {
        misses.remove(base, mine);
        mine.complete(null);
    }

    // ---------------------------------------------------------------- purge

    /** Removes every response in memory whose path starts with {@code prefix}; returns their keys. */
    public Set<String> purgeLocal(String prefix) {
        Set<String> removed = new HashSet<>();
        Cache<String, Object> m = memory;
        if (m != null) {
            m.asMap().entrySet().removeIf(e -> {
                if (!e.getKey().startsWith(prefix)) {
                    return false;
                }
                if (e.getValue() instanceof StoredResponse) {
                    removed.add(e.getKey());
                }
                return true;
            });
        }
        return removed;
    }

    /**
     * Removes every response in Redis whose path starts with {@code prefix}; completes with their keys, empty
     * when there is no Redis or it fails (logged).
     */
    public static CompletionStage<Set<String>> purgeShared(RedisStore r, String prefix) {
        if (r == null) {
            return CompletableFuture.completedFuture(Set.of());
        }
        String glob = glob(prefix) + "*";
        return r.keys(REDIS_ENTRY + glob).thenCombine(r.keys(REDIS_VARY + glob), (entries, markers) -> {
            Set<String> all = new HashSet<>(entries);
            all.addAll(markers);
            return all;
        }).thenCompose(all -> deleteInBatches(r, List.copyOf(all)).thenApply(n -> {
            Set<String> removed = new HashSet<>();
            for (String k : all) {
                if (k.startsWith(REDIS_ENTRY)) {
                    removed.add(k.substring(REDIS_ENTRY.length()));
                }
            }
            return removed;
        })).exceptionally(e -> {
            log.warn("cache: purging '{}' in redis failed: {}", prefix, e.toString());
            return Set.of();
        });
    }

    /** DEL a thousand keys at a time: one command for a million keys would hold Redis for every instance. */
    private static CompletionStage<Long> deleteInBatches(RedisStore r, List<String> keys) {
        CompletionStage<Long> done = CompletableFuture.completedFuture(0L);
        for (int from = 0; from < keys.size(); from += 1000) {
            String[] batch = keys.subList(from, Math.min(keys.size(), from + 1000)).toArray(new String[0]);
            done = done.thenCompose(n -> r.delete(batch).thenApply(m -> n + m));
        }
        return done;
    }

    /** {@code text} as a Redis glob that matches only itself. */
    static String glob(String text) {
        StringBuilder b = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    private void redisFailed(Throwable e) {
        if (e == null) {
            return;
        }
        long now = System.currentTimeMillis();
        if (now - redisFailureLogged > 60_000) { // a Redis that is down would fail every request: say it once a minute
            redisFailureLogged = now;
            log.warn("cache: redis did not answer ({}); serving from memory and the upstream meanwhile", e.toString());
        }
    }

    /** How long a level keeps a response: while fresh, and a while longer when it can be revalidated. */
    static long keepMillis(StoredResponse r, long now) {
        long fresh = Math.max(0, r.lifetimeMillis() - r.ageMillis(now));
        return Math.max(1, fresh + (r.hasValidator() ? STALE_KEPT_MILLIS : 0));
    }

    private static final class KeepTime implements Expiry<String, Object> {
        @Override
        public long expireAfterCreate(String key, Object value, long currentTime) {
            long millis = value instanceof StoredResponse r ? keepMillis(r, System.currentTimeMillis()) : VARY_KEPT_MILLIS;
            return TimeUnit.MILLISECONDS.toNanos(millis);
        }

        @Override
        public long expireAfterUpdate(String key, Object value, long currentTime, long currentDuration) {
            return expireAfterCreate(key, value, currentTime);
        }

        @Override
        public long expireAfterRead(String key, Object value, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }
}
