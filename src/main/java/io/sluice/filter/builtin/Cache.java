package io.sluice.filter.builtin;

import io.sluice.filter.SharedStores;
import io.sluice.filter.api.BodyPart;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Headers;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.Verdict;
import io.sluice.filter.cache.CacheControl;
import io.sluice.filter.cache.CacheRules;
import io.sluice.filter.cache.HttpCache;
import io.sluice.filter.cache.RequestFields;
import io.sluice.filter.cache.StoredResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code cache}: a shared HTTP cache (RFC 9111) in front of the route: a local level in memory and, with
 * {@code redis: true}, a second in the shared Redis. What is stored and for how long is {@link CacheRules}'s;
 * where, {@link HttpCache}'s. This class is the request's way through it:
 * <ul>
 *   <li>a fresh stored response answers the request here (a conditional request gets 304);</li>
 *   <li>a stale one with a validator is revalidated: the request goes upstream with {@code If-None-Match} /
 *       {@code If-Modified-Since}, and a 304 becomes the stored response, refreshed;</li>
 *   <li>a miss goes upstream; concurrent misses on one key wait for the first (up to {@code lock_timeout});
 *       a storable answer is collected as it streams to the client and stored at its end.</li>
 * </ul>
 * Every response through the filter says which in {@code Cache-Status} (RFC 9211).
 */
public final class Cache implements FilterFactory<Cache.Settings> {
    static final long DEFAULT_MEMORY = 64L << 20;
    static final long DEFAULT_MAX_OBJECT = 8L << 20;
    static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(5);
    private static final String NAME = "sluice";

    public record Settings(long memory, boolean redis, long maxObject, long defaultTtlMillis, long lockTimeoutMillis) {
    }

    private static final FilterContext.Key<Lookup> LOOKUP = FilterContext.Key.of("cache.lookup");

    @Override
    public String type() {
        return "cache";
    }

    @Override
    public List<String> keys() {
        return List.of("memory", "redis", "max_object", "default_ttl", "lock_timeout");
    }

    @Override
    public Settings configure(FilterSettings s) {
        long memory = s.size("memory", DEFAULT_MEMORY);
        boolean redis = s.bool("redis", false);
        long maxObject = s.size("max_object", DEFAULT_MAX_OBJECT);
        Duration ttl = s.duration("default_ttl", Duration.ZERO);
        Duration lock = s.duration("lock_timeout", DEFAULT_LOCK_TIMEOUT);
        boolean ok = true;
        if (redis && !s.sharedStore()) {
            s.error("redis", "'redis: true' needs the top-level 'redis' block (redis: { address: redis://127.0.0.1:6379 })");
            ok = false;
        }
        if (memory == 0 && !redis) {
            s.error("memory", "'memory: 0' leaves the cache nowhere to store (set a size, or 'redis: true')");
            ok = false;
        }
        if (maxObject <= 0 || maxObject > Integer.MAX_VALUE - 64) {
            s.error("max_object", "'max_object' must be between 1 and 2GiB");
            ok = false;
        } else if (memory > 0 && maxObject > memory) {
            s.error("max_object", "'max_object' is larger than 'memory': such a response could never stay in memory");
            ok = false;
        }
        return ok ? new Settings(memory, redis, maxObject, ttl.toMillis(), lock.toMillis()) : null;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        HttpCache cache = setup.keep("store", HttpCache.class, HttpCache::new);
        cache.configure(settings.memory(), settings.redis() && setup instanceof SharedStores shared ? shared.redis() : null,
                setup.listener(), setup.route() == null ? "" : setup.route());
        return new CacheFilter(settings, cache);
    }

    /** One request's way through the cache; per-request state, on its event loop. */
    private static final class Lookup {
        final String key;
        final boolean head;
        final CacheControl asked;
        boolean ranged;                 // a Range request: never revalidated for, never waited for
        CompletableFuture<Void> leading; // this request's miss is the one the others wait for
        String forward = "fwd=miss";    // why it went upstream, for Cache-Status
        StoredResponse revalidating;    // the stale response the upstream is asked about
        List<String> clientIfNoneMatch; // the client's own conditions, set aside while revalidating
        String clientIfModifiedSince;
        boolean clientConditional;
        byte[] replacement;             // the stored body that replaces a 304's (empty) one
        Collected collected;            // the body being stored; null when this response is not
        List<Map.Entry<String, String>> fields;
        long lifetime;
        int status;
        List<String> vary;
        RequestFields requestFields;    // the client's fields as they went upstream, for the stored variant
        long responseMillis;
        long initialAge;

        Lookup(String key, boolean head, CacheControl asked) {
            this.key = key;
            this.head = head;
            this.asked = asked;
        }
    }

    /** A safe request the cache does not answer (OPTIONS, TRACE); an unsafe one gets a Lookup without {@code asked}. */
    private static final Lookup OTHER = new Lookup(null, false, null);

    private static final class CacheFilter implements Filter {
        private final Settings settings;
        private final HttpCache cache;

        CacheFilter(Settings settings, HttpCache cache) {
            this.settings = settings;
            this.cache = cache;
        }

        @Override
        public Verdict onRequest(FilterContext context) {
            String method = context.request().method();
            boolean head = method.equals("HEAD");
            if (!head && !method.equals("GET")) {
                boolean safe = method.equals("OPTIONS") || method.equals("TRACE") || method.equals("CONNECT");
                context.set(LOOKUP, safe ? OTHER : new Lookup(key(context), false, null));
                return Verdict.next();
            }
            Headers h = context.request().headers();
            CacheControl asked = CacheControl.parse(h.getAll("Cache-Control"),
                    h.getAll("Cache-Control").isEmpty() && "no-cache".equalsIgnoreCase(trim(h.get("Pragma"))));
            Lookup lookup = new Lookup(key(context), head, asked);
            lookup.ranged = h.contains("Range");
            context.set(LOOKUP, lookup);
            StoredResponse stored = cache.local(lookup.key, h);
            if (stored != null || !cache.shared()) {
                return use(context, lookup, stored, true);
            }
            return Verdict.later(cache.fromShared(lookup.key, h)
                    .thenApplyAsync(found -> use(context, lookup, found, true), context.executor()));
        }

        private String key(FilterContext context) {
            return cache.key(context.clientUri(), context.request().headers().get("Host"));
        }

        /**
         * A client's own conditional request on a miss goes upstream with its conditions, and its answer may be a
         * 304 that cannot be stored: such a request never leads a miss (those waiting for it would all go upstream
         * at once when it ends); it only waits behind a plain request already under way.
         */
        private static boolean ownConditions(FilterContext context) {
            Headers h = context.request().headers();
            return h.contains("If-None-Match") || h.contains("If-Modified-Since");
        }

        /** Answers from {@code stored} when it may, else sends the request upstream (as a revalidation when it can). */
        private Verdict use(FilterContext context, Lookup lookup, StoredResponse stored, boolean mayWait) {
            if (lookup.asked.onlyIfCached() && (stored == null || !stored.fresh(System.currentTimeMillis()))) {
                cache.stats().miss.increment();
                return Verdict.answer(Reply.text(504, "not in the cache (only-if-cached)")
                        .header("Cache-Status", NAME + "; fwd=miss"));
            }
            if (stored == null) {
                return upstream(context, lookup, lead(context, lookup, mayWait, !ownConditions(context)));
            }
            long now = System.currentTimeMillis();
            long age = stored.ageMillis(now);
            boolean fresh = stored.fresh(now);
            if (fresh && !lookup.asked.noCache() && (lookup.asked.maxAge() < 0 || age <= lookup.asked.maxAge() * 1000)) {
                // If-None-Match / If-Modified-Since come before Range (RFC 9110 §13.2.2): a 304, not a 206
                Reply partial = lookup.ranged && !lookup.head && !clientNotModified(context, stored)
                        ? rangeOf(context, stored, now) : null;
                return Verdict.answer(partial != null ? partial : hit(context, lookup, stored, now));
            }
            lookup.forward = fresh ? "fwd=request" : "fwd=stale";
            if (!lookup.head && !lookup.ranged && stored.hasValidator()) {
                Verdict wait = lead(context, lookup, mayWait, true); // one revalidation at a time, too
                if (wait != null) {
                    return wait;
                }
                Headers h = context.request().headers();
                lookup.revalidating = stored;
                lookup.clientIfNoneMatch = h.getAll("If-None-Match");
                lookup.clientIfModifiedSince = h.get("If-Modified-Since");
                lookup.clientConditional = !lookup.clientIfNoneMatch.isEmpty() || lookup.clientIfModifiedSince != null;
                h.remove("If-None-Match");
                h.remove("If-Modified-Since");
                h.remove("If-Range");
                String etag = stored.header("ETag");
                String lastModified = stored.header("Last-Modified");
                if (etag != null) {
                    h.set("If-None-Match", etag);
                }
                if (lastModified != null) {
                    h.set("If-Modified-Since", lastModified);
                }
                return upstream(context, lookup, null);
            }
            return upstream(context, lookup, lead(context, lookup, mayWait, !ownConditions(context)));
        }

        /** The request's fields as the lookup saw them (every request that goes upstream has its copy). */
        private static Headers asSent(FilterContext context, Lookup lookup) {
            return lookup.requestFields != null ? lookup.requestFields : context.request().headers();
        }

        /** {@code verdict}, or when there is none, upstream: with a copy of the request's fields to store under. */
        private static Verdict upstream(FilterContext context, Lookup lookup, Verdict verdict) {
            if (verdict != null) {
                return verdict;
            }
            lookup.requestFields = RequestFields.copyOf(context.request().headers());
            return Verdict.next();
        }

        /**
         * Nothing usable is stored (or it is to be revalidated): the first such request goes upstream (null), the
         * others wait for its answer (a later verdict). A HEAD, a Range request, one that forbids storing and one
         * that insists on going upstream ({@code no-cache}) do not wait.
         */
        private Verdict lead(FilterContext context, Lookup lookup, boolean mayWait, boolean mayLead) {
            if (lookup.head || lookup.ranged || lookup.asked.noStore()) {
                return null;
            }
            CompletableFuture<Void> first;
            if (mayLead) {
                CompletableFuture<Void> mine = new CompletableFuture<>();
                first = cache.lead(lookup.key, mine);
                if (first == null) {
                    lookup.leading = mine;
                    context.onEnd(() -> cache.done(lookup.key, mine));
                    return null;
                }
            } else {
                first = cache.leader(lookup.key);
                if (first == null) {
                    return null; // goes upstream on its own; nobody waits for it
                }
            }
            if (!mayWait || lookup.asked.noCache()) {
                return null;
            }
            lookup.forward += "; collapsed";
            Headers h = context.request().headers();
            CompletableFuture<StoredResponse> after = first.copy()
                    .completeOnTimeout(null, settings.lockTimeoutMillis(), TimeUnit.MILLISECONDS)
                    .thenCompose(v -> {
                        StoredResponse local = cache.local(lookup.key, h);
                        return local != null || !cache.shared() ? CompletableFuture.completedFuture(local)
                                : cache.fromShared(lookup.key, h).toCompletableFuture();
                    });
            return Verdict.later(after.thenApplyAsync(found -> use(context, lookup, found, false), context.executor()));
        }

        private static boolean clientNotModified(FilterContext context, StoredResponse stored) {
            Headers h = context.request().headers();
            return CacheRules.notModified(stored, h.getAll("If-None-Match"), h.get("If-Modified-Since"));
        }

        private Reply hit(FilterContext context, Lookup lookup, StoredResponse stored, long now) {
            boolean notModified = clientNotModified(context, stored);
            Reply reply = Reply.of(notModified ? 304 : stored.status());
            for (Map.Entry<String, String> f : notModified ? CacheRules.notModifiedFields(stored) : stored.headers()) {
                reply.header(f.getKey(), f.getValue());
            }
            long ttl = (stored.lifetimeMillis() - stored.ageMillis(now)) / 1000;
            reply.header("Age", Long.toString(stored.ageMillis(now) / 1000));
            reply.header("Cache-Status", NAME + "; hit; ttl=" + ttl);
            cache.stats().hit.increment();
            if (!notModified) {
                reply.body(stored.body()); // for HEAD only its length goes out
            }
            return reply;
        }

        /**
         * A single byte range of a stored 200, as a static file answers one (RFC 9110 §14): 206 with the slice, 416
         * when it starts past the end; null (the whole response) for several ranges, a bad header, or an
         * {@code If-Range} that does not name the stored response.
         */
        private Reply rangeOf(FilterContext context, StoredResponse stored, long now) {
            Headers h = context.request().headers();
            String ifRange = h.get("If-Range");
            if (stored.status() != 200 || !io.sluice.response.Conditionals.ifRangeHolds(ifRange, stored.header("ETag"),
                    io.sluice.response.Conditionals.millisOf(stored.header("Last-Modified")))) {
                return null;
            }
            int size = stored.body().length;
            io.sluice.response.ByteRange.Request range = io.sluice.response.ByteRange.parse(h.get("Range"), size);
            Reply reply;
            switch (range.kind()) {
                case PARTIAL -> {
                    io.sluice.response.ByteRange r = range.range();
                    reply = Reply.of(206);
                    for (Map.Entry<String, String> f : stored.headers()) {
                        reply.header(f.getKey(), f.getValue());
                    }
                    reply.header("Content-Range", "bytes " + r.first() + "-" + r.last() + "/" + size);
                    reply.body(java.util.Arrays.copyOfRange(stored.body(), (int) r.first(), (int) r.last() + 1));
                }
                case UNSATISFIABLE -> reply = Reply.text(416, "the range starts past the end")
                        .header("Content-Range", "bytes */" + size);
                default -> {
                    return null;
                }
            }
            reply.header("Age", Long.toString(stored.ageMillis(now) / 1000));
            reply.header("Cache-Status", NAME + "; hit; ttl=" + (stored.lifetimeMillis() - stored.ageMillis(now)) / 1000);
            cache.stats().hit.increment();
            return reply;
        }

        @Override
        public void onResponse(FilterContext context) {
            Lookup lookup = context.get(LOOKUP);
            Headers out = context.response().headers();
            int status = context.response().status();
            if (lookup == null || lookup == OTHER) {
                out.add("Cache-Status", NAME + "; fwd=method");
                cache.stats().method.increment();
                return;
            }
            if (lookup.asked == null) { // an unsafe method
                out.add("Cache-Status", NAME + "; fwd=method");
                cache.stats().method.increment();
                if (status >= 200 && status < 400) {
                    cache.invalidate(lookup.key);
                }
                return;
            }
            long now = System.currentTimeMillis();
            if (lookup.revalidating != null && status == 304) {
                answerFromRefreshed(context, lookup, out, now);
                return;
            }
            count(lookup.forward);
            String cacheStatus = NAME + "; " + lookup.forward
                    + (lookup.revalidating != null ? "; fwd-status=" + status : "");
            if (!lookup.head && !lookup.asked.noStore() && !eventStream(out.get("Content-Type"))) {
                long lifetime = CacheRules.lifetime(status, out, context.request().headers().contains("Authorization"),
                        settings.defaultTtlMillis(), now);
                long length = lengthOf(out.get("Content-Length"));
                if (lifetime >= 0 && length <= settings.maxObject()) {
                    lookup.collected = new Collected(length > 0 ? (int) length : 1024);
                    lookup.fields = CacheRules.storedFields(out);
                    lookup.lifetime = lifetime;
                    lookup.status = status;
                    lookup.vary = CacheRules.varyNames(out.getAll("Vary"));
                    lookup.responseMillis = now;
                    lookup.initialAge = CacheRules.initialAge(out.get("Age"), out.get("Date"), now);
                    cacheStatus += "; stored";
                }
            }
            if (lookup.collected == null) {
                release(lookup); // nothing will be stored: those waiting go on now
            }
            out.add("Cache-Status", cacheStatus);
        }

        /**
         * A stream of events (server-sent events) is never stored, whatever its freshness says: it may not end for
         * hours, and those waiting for this miss would wait the whole lock_timeout for it; they go on at once.
         */
        private static boolean eventStream(String contentType) {
            return contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
        }

        /** The upstream says the stale response is still good: it is refreshed, stored, and becomes the answer. */
        private void answerFromRefreshed(FilterContext context, Lookup lookup, Headers out, long now) {
            StoredResponse refreshed = CacheRules.refresh(lookup.revalidating, out, settings.defaultTtlMillis(), now);
            CacheControl told = CacheControl.parse(out.getAll("Cache-Control"), false);
            List<String> cookies = out.getAll("Set-Cookie"); // for this client, never stored
            // the request's own say, as on a miss: no-store, and Authorization unless the response allows sharing
            CacheControl merged = CacheControl.parse(refreshed.headers("Cache-Control"), false);
            boolean authorized = context.request().headers().contains("Authorization");
            if (!told.noStore() && !told.isPrivate() && cookies.isEmpty() && !lookup.asked.noStore()
                    && (!authorized || merged.isPublic() || merged.sMaxAge() >= 0 || merged.mustRevalidate())) {
                cache.store(lookup.key, refreshed, asSent(context, lookup));
            }
            boolean notModified = lookup.clientConditional
                    && CacheRules.notModified(refreshed, lookup.clientIfNoneMatch, lookup.clientIfModifiedSince);
            List<String> names = new ArrayList<>();
            for (Map.Entry<String, String> h : out) {
                names.add(h.getKey());
            }
            for (String n : names) {
                out.remove(n);
            }
            for (Map.Entry<String, String> f : notModified ? CacheRules.notModifiedFields(refreshed) : refreshed.headers()) {
                out.add(f.getKey(), f.getValue());
            }
            for (String c : cookies) {
                out.add("Set-Cookie", c);
            }
            out.set("Age", Long.toString(refreshed.ageMillis(now) / 1000));
            out.add("Cache-Status", NAME + "; " + lookup.forward + "; fwd-status=304");
            cache.stats().revalidated.increment();
            release(lookup);
            if (!notModified) {
                context.response().setStatus(refreshed.status());
                out.set("Content-Length", Integer.toString(refreshed.body().length));
                lookup.replacement = refreshed.body();
            }
        }

        @Override
        public void onResponseBody(FilterContext context, BodyPart part) {
            Lookup lookup = context.get(LOOKUP);
            if (lookup == null) {
                return;
            }
            if (lookup.replacement != null) {
                if (part.isLast()) {
                    part.replace(ByteBuffer.wrap(lookup.replacement));
                    lookup.replacement = null;
                }
                return;
            }
            Collected collected = lookup.collected;
            if (collected == null) {
                return;
            }
            if (collected.size + part.length() > settings.maxObject()) {
                lookup.collected = null; // too large to store; it streams on regardless
                release(lookup);
                return;
            }
            collected.add(part.content());
            if (part.isLast()) {
                lookup.collected = null;
                cache.store(lookup.key, new StoredResponse(lookup.status, lookup.fields, collected.bytes(),
                        lookup.responseMillis, lookup.initialAge, lookup.lifetime, List.copyOf(lookup.vary)),
                        asSent(context, lookup));
                release(lookup);
            }
        }

        private void count(String forward) {
            io.sluice.metrics.CacheStats stats = cache.stats();
            (forward.startsWith("fwd=stale") ? stats.stale : forward.startsWith("fwd=request") ? stats.request
                    : stats.miss).increment();
        }

        /** Those waiting for this request's miss go on (to the stored response, or upstream). */
        private void release(Lookup lookup) {
            if (lookup.leading != null) {
                cache.done(lookup.key, lookup.leading);
            }
        }

        @Override
        public boolean wantsResponseBody() {
            return true;
        }
    }

    /**
     * A body being stored: copied once from each part into an array sized by {@code Content-Length} when there
     * is one (then handed over as it is), grown by doubling when there is none.
     */
    private static final class Collected {
        private byte[] buffer;
        int size;

        Collected(int expected) {
            buffer = new byte[expected];
        }

        void add(ByteBuffer part) {
            int n = part.remaining();
            if (size + n > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.max(size + n, buffer.length * 2));
            }
            part.get(buffer, size, n);
            size += n;
        }

        byte[] bytes() {
            return size == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, size);
        }
    }

    private static long lengthOf(String contentLength) {
        if (contentLength == null) {
            return -1;
        }
        try {
            return Long.parseLong(contentLength.strip());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static String trim(String s) {
        return s == null ? null : s.strip();
    }
}
