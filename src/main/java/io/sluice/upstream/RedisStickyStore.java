package io.sluice.upstream;

import io.sluice.state.RedisStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code store: redis}: the bindings of {@code sticky.learn} in the shared Redis, so every instance routes a
 * session alike. Key {@code sluice:sticky:<upstream>:<session>}, value the endpoint's address as configured:
 * another instance with the same configuration finds the same endpoint by it (and {@code redis-cli GET} shows
 * where a session goes). Each key lives {@code ttl}; a lookup sets it anew (GETEX), so an unused binding is
 * forgotten.
 *
 * <p>No local cache in front: a binding changes when its endpoint went out and another one set a new session,
 * and an instance that kept the old answer would send that session elsewhere than the others do. The lookup
 * that refreshes the time to live has to reach Redis anyway.
 *
 * <p>Never fails a request: when Redis cannot answer within {@code redis.timeout} (down, slow, not connected,
 * replaced by a reload) a lookup answers "no binding" and the balancer picks; a lost write is a binding the
 * next response that sets the cookie makes again. That is said in the log at most once a minute, and once when
 * Redis answers again. Any thread; never blocks.
 */
final class RedisStickyStore {
    private static final Logger log = LoggerFactory.getLogger(RedisStickyStore.class);
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final CompletionStage<String> NO_BINDING = CompletableFuture.completedFuture(null);

    private final String upstream;
    /** The running proxy's store: a reload may replace it, so it is asked for at each use. */
    private final Supplier<RedisStore> redis;
    private final String keyPrefix;
    private final long ttlMillis;
    /** System.nanoTime() from which the next failure may be logged. */
    private final AtomicLong nextWarning = new AtomicLong(System.nanoTime());
    private volatile boolean failing;

    RedisStickyStore(String upstream, Duration ttl, Supplier<RedisStore> redis) {
        this.upstream = upstream;
        this.redis = redis;
        this.keyPrefix = "sluice:sticky:" + upstream + ":";
        this.ttlMillis = ttl.toMillis();
    }

    /**
     * The address of the endpoint {@code session} is bound to, or null (none, or Redis cannot answer); counts as
     * a use of the binding. Never completes exceptionally; completes on a Redis thread, or at once.
     */
    CompletionStage<String> endpointAddress(String session) {
        RedisStore store = redis.get();
        if (store == null) {
            failed("look up", "no redis store");
            return NO_BINDING;
        }
        CompletionStage<byte[]> value;
        try {
            value = store.getAndTouch(keyPrefix + session, ttlMillis);
        } catch (RuntimeException closed) { // a store a reload has just closed may refuse at once
            failed("look up", closed.toString());
            return NO_BINDING;
        }
        return value.handle((address, failure) -> {
            if (failure != null) {
                failed("look up", failure.toString());
                return null;
            }
            answered();
            return address == null ? null : new String(address, StandardCharsets.UTF_8);
        });
    }

    /** Binds {@code session} to the endpoint at {@code address}, without waiting for Redis. */
    void bind(String session, String address) {
        RedisStore store = redis.get();
        if (store == null) {
            failed("store", "no redis store");
            return;
        }
        CompletionStage<String> written;
        try {
            written = store.set(keyPrefix + session, RedisStore.utf8(address), ttlMillis);
        } catch (RuntimeException closed) {
            failed("store", closed.toString());
            return;
        }
        written.whenComplete((ok, failure) -> {
            if (failure != null) {
                failed("store", failure.toString());
            } else {
                answered();
            }
        });
    }

    private void failed(String what, String why) {
        failing = true;
        long now = System.nanoTime();
        long next = nextWarning.get();
        if (now - next >= 0 && nextWarning.compareAndSet(next, now + WARN_EVERY_NANOS)) {
            log.warn("sticky sessions of upstream '{}': cannot {} bindings in redis ({}); the balancer picks for"
                    + " those sessions meanwhile (said at most once a minute)", upstream, what, why);
        }
    }

    private void answered() {
        if (failing) {
            failing = false;
            log.info("sticky sessions of upstream '{}': redis answers again", upstream);
        }
    }
}
