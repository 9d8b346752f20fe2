package io.sluice.state;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.sluice.config.RedisConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared store ({@code redis:}): one Lettuce connection for the process, non-blocking (Lettuce runs on Netty
 * threads of its own, one I/O thread). Commands never queue while Redis is away: they fail at once
 * (REJECT_COMMANDS), or after {@code redis.timeout}, and each feature does what its settings say. Lettuce
 * reconnects a connection it had; a first connection that fails is tried again every second, so a Redis that
 * comes up after the proxy is used without a restart.
 */
public final class RedisStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisStore.class);

    /**
     * A token bucket in one hash ({@code t}: tokens, {@code ts}: milliseconds), refilled from Redis's own clock so
     * every instance agrees; returns 0 when a token was taken, else the milliseconds until one is back. The key
     * expires once a full bucket would have refilled.
     */
    static final String TOKEN_BUCKET = """
            local now = redis.call('TIME')
            now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
            local perMs = tonumber(ARGV[1])
            local burst = tonumber(ARGV[2])
            local b = redis.call('HMGET', KEYS[1], 't', 'ts')
            local tokens = tonumber(b[1]) or burst
            local ts = tonumber(b[2]) or now
            tokens = math.min(burst, tokens + math.max(0, now - ts) * perMs)
            local wait = 0
            if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / perMs) end
            redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', now)
            redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perMs) + 1000)
            return wait
            """;

    private final RedisConfig config;
    private final ClientResources resources;
    private final RedisClient client;
    private final ScheduledExecutorService retries;
    private final String tokenBucketSha;
    /** Keys are text, values bytes: the cache stores bodies; text values go as UTF-8 ({@link #utf8}). */
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private volatile StatefulRedisConnection<String, byte[]> connection;
    private volatile boolean closed;
    private int failuresInARow; // on the thread of the connect attempts' callbacks, one at a time

    private RedisStore(RedisConfig config) {
        if (System.getProperty("io.lettuce.core.iouring") == null) {
            // Lettuce takes epoll when both are there, and warns about it on every client: say it is the choice
            System.setProperty("io.lettuce.core.iouring", "false");
        }
        this.config = config;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
        this.client = RedisClient.create(resources, RedisURI.create(config.address()));
        client.setOptions(ClientOptions.builder()
                // A Redis that stops answering without closing the connection (a host gone, a partition) would
                // keep the connection open for the kernel's retransmissions, about 15 minutes, with every command
                // queued in it meanwhile: unacknowledged data for 10 s ends it, and Lettuce reconnects.
                .socketOptions(io.lettuce.core.SocketOptions.builder()
                        .connectTimeout(java.time.Duration.ofSeconds(2))
                        .tcpUserTimeout(io.lettuce.core.SocketOptions.TcpUserTimeoutOptions.builder().enable()
                                .tcpUserTimeout(java.time.Duration.ofSeconds(10)).build())
                        .build())
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                .build());
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-redis-connect");
            t.setDaemon(true);
            return t;
        });
        this.tokenBucketSha = sha1(TOKEN_BUCKET);
    }

    /** The SHA-1 Redis names a script by (EVALSHA), in lower-case hex. */
    static String sha1(String script) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(script.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts connecting to {@code config.address()} in the background. */
    public static RedisStore start(RedisConfig config) {
        RedisStore store = new RedisStore(config);
        store.connect();
        return store;
    }

    public RedisConfig config() {
        return config;
    }

    /** Whether a connection is up now (for logs and the admin API). */
    public boolean connected() {
        StatefulRedisConnection<String, byte[]> c = connection;
        return c != null && c.isOpen();
    }

    private void connect() {
        if (closed) {
            return;
        }
        client.connectAsync(CODEC, RedisURI.create(config.address())).whenComplete((c, failure) -> {
            if (failure != null) {
                if (failuresInARow++ == 0) { // once, not every second while it stays away
                    log.warn("redis {}: cannot connect ({}); trying again every second", config.redacted(),
                            failure.toString());
                }
                if (!closed) {
                    retries.schedule(this::connect, 1, TimeUnit.SECONDS);
                }
                return;
            }
            if (closed) {
                c.closeAsync();
                return;
            }
            connection = c;
            failuresInARow = 0;
            log.info("redis {}: connected", config.redacted());
        });
    }

    /**
     * Takes a token from the bucket at {@code key} ({@code perMs} tokens a millisecond, {@code burst} at most):
     * completes with 0, or the milliseconds until a token is back; fails when Redis cannot answer in time.
     */
    public CompletionStage<Long> takeToken(String key, double perMs, int burst) {
        StatefulRedisConnection<String, byte[]> c = connection;
        if (c == null) {
            return notConnected();
        }
        String[] keys = {key};
        byte[] rate = utf8(Double.toString(perMs));
        byte[] max = utf8(Integer.toString(burst));
        CompletableFuture<Long> out = new CompletableFuture<>();
        c.async().<Long>evalsha(tokenBucketSha, ScriptOutputType.INTEGER, keys, rate, max).whenComplete((v, e) -> {
            if (e instanceof RedisNoScriptException || (e != null && e.getCause() instanceof RedisNoScriptException)) {
                // the script is not cached there yet (a new or restarted Redis): sent once in full
                c.async().<Long>eval(TOKEN_BUCKET, ScriptOutputType.INTEGER, keys, rate, max).whenComplete((v2, e2) -> {
                    if (e2 != null) {
                        out.completeExceptionally(e2);
                    } else {
                        out.complete(v2);
                    }
                });
            } else if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(v);
            }
        });
        return out;
    }

    /** The value at {@code key}, or null when there is none; fails when Redis cannot answer in time. */
    public CompletionStage<byte[]> get(String key) {
        StatefulRedisConnection<String, byte[]> c = connection;
        return c == null ? notConnected() : c.async().get(key);
    }

    /** Sets {@code key} to {@code value}, forgotten after {@code ttlMillis}. */
    public CompletionStage<String> set(String key, byte[] value, long ttlMillis) {
        StatefulRedisConnection<String, byte[]> c = connection;
        return c == null ? notConnected() : c.async().set(key, value, SetArgs.Builder.px(Math.max(1, ttlMillis)));
    }

    /** Deletes {@code keys}; completes with how many existed. */
    public CompletionStage<Long> delete(String... keys) {
        StatefulRedisConnection<String, byte[]> c = connection;
        if (keys.length == 0) {
            return CompletableFuture.completedFuture(0L);
        }
        return c == null ? notConnected() : c.async().del(keys);
    }

    /**
     * Every key matching the glob {@code pattern} (SCAN, a page at a time: Redis is never held for long).
     * For rare admin work such as a purge, not for requests.
     */
    public CompletionStage<List<String>> keys(String pattern) {
        StatefulRedisConnection<String, byte[]> c = connection;
        if (c == null) {
            return notConnected();
        }
        CompletableFuture<List<String>> out = new CompletableFuture<>();
        scanFrom(c, ScanCursor.INITIAL, ScanArgs.Builder.matches(pattern).limit(1000), new ArrayList<>(), out);
        return out;
    }

    private static void scanFrom(StatefulRedisConnection<String, byte[]> c, ScanCursor cursor, ScanArgs args,
                                 List<String> found, CompletableFuture<List<String>> out) {
        c.async().scan(cursor, args).whenComplete((page, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
                return;
            }
            found.addAll(page.getKeys());
            if (page.isFinished()) {
                out.complete(found);
            } else {
                scanFrom(c, page, args, found, out);
            }
        });
    }

    /** A text value as Redis gets it. */
    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static <T> CompletionStage<T> notConnected() {
        return CompletableFuture.failedFuture(new IllegalStateException("redis not connected"));
    }

    /**
     * The value at {@code key} with its time to live set anew to {@code ttlMillis} (GETEX PX, Redis 6.2 or later):
     * a read that counts as a use. Null when there is none; fails when Redis cannot answer in time.
     */
    public CompletionStage<byte[]> getAndTouch(String key, long ttlMillis) {
        StatefulRedisConnection<String, byte[]> c = connection;
        return c == null ? notConnected()
                : c.async().getex(key, io.lettuce.core.GetExArgs.Builder.px(Math.max(1, ttlMillis)));
    }

    @Override
    public void close() {
        closed = true;
        retries.shutdownNow();
        StatefulRedisConnection<String, byte[]> c = connection;
        if (c != null) {
            c.closeAsync();
        }
        client.shutdownAsync(0, 2, TimeUnit.SECONDS);
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
