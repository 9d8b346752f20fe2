package io.sluice.filter;

import io.sluice.config.FilterConfig;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSetup;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import io.sluice.filter.cache.HttpCache;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Builds filter chains from a configuration, and keeps the state filters ask to keep across reloads. One per
 * running proxy. The state of a place ({@code listener/route/position/type/name}) lives as long as
 * configurations keep a filter of that type there: {@link #retainOnly} drops the rest after a reload.
 */
public final class FilterChains {
    private final Map<String, Object> kept = new ConcurrentHashMap<>();
    private final Set<String> used = new HashSet<>();
    private volatile io.sluice.state.RedisStore redis;

    /** The shared store the next builds hand to filters ({@link SharedStores}); null for none. */
    public void redis(io.sluice.state.RedisStore store) {
        this.redis = store;
    }

    /** Builds the filters of one {@code filters:} list; {@code route} null for a listener's. */
    public synchronized FilterChain build(List<FilterConfig> configs, String listener, String route) {
        if (configs.isEmpty()) {
            return FilterChain.EMPTY;
        }
        List<Filter> filters = new ArrayList<>(configs.size());
        List<String> types = new ArrayList<>(configs.size());
        for (int i = 0; i < configs.size(); i++) {
            FilterConfig c = configs.get(i);
            String place = listener + "/" + (route == null ? "" : route) + "/" + i + "/" + c.type();
            filters.add(create(c, new Setup(listener, route, place)));
            types.add(c.type());
        }
        return FilterChain.of(filters, types);
    }

    @SuppressWarnings("unchecked")
    private static <C> Filter create(FilterConfig config, FilterSetup setup) {
        FilterFactory<C> factory = (FilterFactory<C>) config.factory();
        Filter f = factory.create((C) config.settings(), setup);
        if (f == null) {
            throw new IllegalStateException("filter factory " + factory.getClass().getName() + " made no filter");
        }
        return f;
    }

    /**
     * Removes every cached response whose path starts with {@code prefix}, from every {@code cache} filter's
     * memory and from Redis; completes with how many responses were removed (one stored in both levels counts
     * once). For {@code DELETE /api/cache?prefix=}.
     */
    public CompletionStage<Integer> purgeCaches(String prefix) {
        Set<String> removed = new HashSet<>();
        boolean shared = false;
        for (Object state : kept.values()) {
            if (state instanceof HttpCache cache) {
                removed.addAll(cache.purgeLocal(prefix));
                shared |= cache.shared();
            }
        }
        if (!shared) {
            return CompletableFuture.completedFuture(removed.size());
        }
        return HttpCache.purgeShared(redis, prefix).thenApply(fromRedis -> {
            removed.addAll(fromRedis);
            return removed.size();
        });
    }

    /** What each {@code cache} filter in force did, for /metrics. Any thread. */
    public java.util.List<io.sluice.metrics.CacheStats> cacheStats() {
        java.util.List<io.sluice.metrics.CacheStats> stats = new java.util.ArrayList<>();
        for (Object state : kept.values()) {
            if (state instanceof HttpCache cache) {
                stats.add(cache.stats());
            }
        }
        return stats;
    }

    /** Starts a new build: the places used from now on are the ones {@link #retainOnly} keeps. */
    public synchronized void beginBuild() {
        used.clear();
    }

    /** Forgets the state of every place the last build did not use (filters a reload removed). */
    public synchronized void retainOnly() {
        kept.keySet().retainAll(used);
    }

    private final class Setup implements FilterSetup, SharedStores {
        private final String listener;
        private final String route;
        private final String place;

        Setup(String listener, String route, String place) {
            this.listener = listener;
            this.route = route;
            this.place = place;
        }

        @Override
        public io.sluice.state.RedisStore redis() {
            return redis;
        }

        @Override
        public String listener() {
            return listener;
        }

        @Override
        public String route() {
            return route;
        }

        @Override
        public <T> T keep(String name, Class<T> type, Supplier<T> make) {
            String key = place + "/" + name;
            synchronized (FilterChains.this) {
                used.add(key);
                Object existing = kept.get(key);
                if (type.isInstance(existing)) {
                    return type.cast(existing);
                }
                T made = make.get();
                kept.put(key, made);
                return made;
            }
        }
    }
}
