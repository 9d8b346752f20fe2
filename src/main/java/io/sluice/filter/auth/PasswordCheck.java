package io.sluice.filter.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks basic-auth credentials against one {@link UsersFile}. bcrypt is slow on purpose (a few to a few
 * hundred milliseconds), so it never runs on an event loop: checks go to a small pool of threads shared by
 * the process, with a bounded queue; a check that finds the queue full is {@link Outcome#BUSY} (answered 503)
 * rather than queued without bound. A good check is remembered for {@link #REMEMBER} under the salted
 * SHA-256 of the credentials (never the password), so a client's next requests pay no bcrypt; bad ones are
 * not remembered, so each guess costs a full check. An unknown user is checked against a dummy hash of the
 * file's highest cost, so the time of an answer does not tell which user names exist.
 *
 * <p>Made per configuration load: a reload that changes the file starts with an empty cache.
 */
public final class PasswordCheck {
    public enum Outcome { GRANTED, DENIED, BUSY }

    static final Duration REMEMBER = Duration.ofMinutes(1);
    static final int MAX_REMEMBERED = 10_000;
    static final int MAX_WAITING = 256;
    static final String THREAD_NAME = "sluice-password-check-";
    /** htpasswd and the C libraries read at most 72 bytes of a password: the same here, not an error. */
    private static final BCrypt.Verifyer BCRYPT = BCrypt.verifyer(null,
            LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2A));
    /** For tests: runs on the check's thread before each bcrypt check. */
    static volatile Runnable beforeCheck;

    /** Made on first use, so a configuration without auth starts no thread. */
    private static final class Pool {
        static final ThreadPoolExecutor EXECUTOR;

        static {
            int threads = Math.max(2, Runtime.getRuntime().availableProcessors() / 2);
            AtomicInteger n = new AtomicInteger();
            EXECUTOR = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(MAX_WAITING), r -> {
                        Thread t = new Thread(r, THREAD_NAME + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    }, new ThreadPoolExecutor.AbortPolicy());
            EXECUTOR.allowCoreThreadTimeOut(true);
        }
    }

    private final UsersFile users;
    private final Cache<ByteBuffer, Boolean> granted =
            Caffeine.newBuilder().expireAfterWrite(REMEMBER).maximumSize(MAX_REMEMBERED).build();
    private volatile byte[] dummyHash;

    public PasswordCheck(UsersFile users) {
        this.users = users;
        try {
            Pool.EXECUTOR.execute(this::dummyHash); // ready before the first unknown user, whose answer it times
        } catch (RejectedExecutionException e) {
            // busy: made on the first unknown user instead
        }
    }

    /** The users this checks against. */
    public UsersFile users() {
        return users;
    }

    /** This check when {@code file} is the same as its users (a reload that did not change it), else a new one. */
    public PasswordCheck reusedFor(UsersFile file) {
        return users.equals(file) ? this : new PasswordCheck(file);
    }

    /** True when these credentials passed a check within {@link #REMEMBER}: no bcrypt needed. */
    public boolean remembered(BasicCredentials credentials) {
        return granted.getIfPresent(credentials.cacheKey()) != null;
    }

    /** Checks the password off the event loop; the future completes on a check thread. */
    public CompletableFuture<Outcome> check(BasicCredentials credentials) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        try {
            Pool.EXECUTOR.execute(() -> {
                try {
                    outcome.complete(bcrypt(credentials));
                } catch (RuntimeException | Error e) {
                    outcome.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            outcome.complete(Outcome.BUSY);
        }
        return outcome;
    }

    private Outcome bcrypt(BasicCredentials credentials) {
        Runnable hook = beforeCheck;
        if (hook != null) {
            hook.run();
        }
        byte[] hash = users.hash(credentials.user());
        boolean known = hash != null;
        if (!known) {
            hash = dummyHash();
        }
        boolean ok = BCRYPT.verify(credentials.password(), hash).verified && known;
        java.util.Arrays.fill(credentials.password(), (byte) 0);
        if (ok) {
            granted.put(credentials.cacheKey(), Boolean.TRUE);
        }
        return ok ? Outcome.GRANTED : Outcome.DENIED;
    }

    /** A hash of a random password at the file's highest cost, made on the first unknown user. */
    private byte[] dummyHash() {
        byte[] d = dummyHash;
        if (d == null) {
            byte[] random = new byte[16];
            new SecureRandom().nextBytes(random);
            d = BCrypt.with(BCrypt.Version.VERSION_2Y).hash(users.maxCost(),
                    java.util.Base64.getEncoder().encodeToString(random).getBytes(StandardCharsets.US_ASCII));
            dummyHash = d;
        }
        return d;
    }
}
