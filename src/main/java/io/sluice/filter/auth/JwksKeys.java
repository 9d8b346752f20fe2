package io.sluice.filter.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signing keys of a {@code jwt} filter, as Nimbus's {@link JWKSource}: a JWK set read from a file once, or
 * fetched from a URL in the background and kept fresh. Nimbus's own remote source fetches in the caller's
 * thread, which would be an event loop; here a request only ever reads the set in hand, and what it finds
 * stale or missing starts a fetch (the JDK's HTTP client, on its own threads) that later requests profit from:
 * <ul>
 *   <li>the set is fetched again when it is older than {@link #REFRESH};</li>
 *   <li>a token whose {@code kid} is not in the set starts at most one fetch per {@link #UNKNOWN_KID_PAUSE}
 *       (a key that was just rotated in), and that token is refused meanwhile.</li>
 * </ul>
 * A fetch has {@link #FETCH_TIMEOUT} for its whole answer and reads at most {@link #MAX_BODY} bytes. A failed
 * fetch keeps the set in hand (logged) and is tried again after the same pauses; until a first one succeeds
 * there are no keys ({@link #ready}), and a request asks for one at most once a second.
 */
public final class JwksKeys implements JWKSource<SecurityContext> {
    private static final Logger log = LoggerFactory.getLogger(JwksKeys.class);
    static final Duration REFRESH = Duration.ofMinutes(5);
    static final Duration UNKNOWN_KID_PAUSE = Duration.ofSeconds(30);
    static final Duration RETRY_NOT_READY = Duration.ofSeconds(1);
    /** For the whole fetch, head and body: a server that stalls mid-body must not stop every later fetch. */
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);
    /** The largest JWK set read; a real one is a few KiB. */
    static final int MAX_BODY = 1024 * 1024;

    private final URI url; // null: a file's set, fixed
    private final HttpClient client;
    private volatile JWKSet keys;
    private volatile long fetchedAtNanos;
    private volatile long lastAttemptNanos;
    private final AtomicBoolean fetching = new AtomicBoolean();

    private JwksKeys(URI url, JWKSet keys) {
        this.url = url;
        this.keys = keys;
        this.client = url == null ? null : HttpClient.newBuilder().connectTimeout(FETCH_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** A fixed set (a {@code jwks_file}, read when the configuration was loaded). */
    public static JwksKeys of(JWKSet keys) {
        return new JwksKeys(null, keys);
    }

    /** A set at {@code url}, fetched now in the background. */
    public static JwksKeys fetched(URI url) {
        JwksKeys k = new JwksKeys(url, null);
        k.fetch();
        return k;
    }

    /** Whether there are keys to verify with (a URL's set has been fetched once). */
    public boolean ready() {
        return keys != null;
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) {
        JWKSet set = keys;
        long now = System.nanoTime();
        if (url != null && (set == null || now - fetchedAtNanos > REFRESH.toNanos())
                && now - lastAttemptNanos > (set == null ? RETRY_NOT_READY : UNKNOWN_KID_PAUSE).toNanos()) {
            fetch(); // none yet (the service was down at start?), or due for a refresh
        }
        if (set == null) {
            return List.of();
        }
        List<JWK> found = selector.select(set);
        if (found.isEmpty() && url != null && now - lastAttemptNanos > UNKNOWN_KID_PAUSE.toNanos()) {
            fetch(); // perhaps a key rotated in since: the next token with it will find it
        }
        return found;
    }

    /** Called for a request while there are no keys yet: asks again, at most once a second. */
    public void retryIfNotReady() {
        if (keys == null && url != null && System.nanoTime() - lastAttemptNanos > RETRY_NOT_READY.toNanos()) {
            fetch();
        }
    }

    private void fetch() {
        if (!fetching.compareAndSet(false, true)) {
            return;
        }
        lastAttemptNanos = System.nanoTime();
        HttpRequest ask = HttpRequest.newBuilder(url).header("Accept", "application/json").build();
        CompletableFuture<HttpResponse<byte[]>> call = client.sendAsync(ask, HttpCalls.upTo(MAX_BODY));
        HttpCalls.within(call, FETCH_TIMEOUT).whenComplete((answer, failure) -> {
            try {
                if (failure != null) {
                    Throwable cause = HttpCalls.cause(failure);
                    log.warn("jwt: cannot fetch the JWK set {}: {}", url, cause instanceof TimeoutException
                            ? "no complete answer within " + FETCH_TIMEOUT.toSeconds() + "s" : cause.toString());
                } else if (answer.statusCode() != 200) {
                    log.warn("jwt: the JWK set {} answered {}", url, answer.statusCode());
                } else {
                    keys = JWKSet.parse(new String(answer.body(), StandardCharsets.UTF_8)).toPublicJWKSet();
                    fetchedAtNanos = System.nanoTime();
                }
            } catch (java.text.ParseException e) {
                log.warn("jwt: the JWK set {} does not parse: {}", url, e.getMessage());
            } finally {
                fetching.set(false);
            }
        });
    }
}
