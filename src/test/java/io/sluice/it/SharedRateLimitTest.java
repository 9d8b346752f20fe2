package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** rate_limit with store: redis: two Sluice instances share buckets in a real Redis, and degrade as told when it is away. */
class SharedRateLimitTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - name: open
                    match: { path_prefix: /open }
                    filters: [ { rate_limit: { key: route, rate: 2/m, burst: 2, store: redis, on_store_error: allow } } ]
                    respond: { status: 200, body: "ok\\n" }
                  - name: strict
                    match: { path_prefix: /strict }
                    filters: [ { rate_limit: { key: route, rate: 100/s, store: redis, on_store_error: deny } } ]
                    respond: { status: 200, body: "ok\\n" }
            redis: { address: "redis://127.0.0.1:${REDIS_PORT}", timeout: 250ms }
            """;

    private static int status(SluiceUnderTest sluice, String path) throws Exception {
        try (RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
            return client.read().status();
        }
    }

    @Test
    void twoInstancesShareABucketAndAStoreThatIsAwayIsHandledAsConfigured() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            Map<String, String> env = new HashMap<>(Map.of("REDIS_PORT", Integer.toString(redis.port())));
            try (SluiceUnderTest a = SluiceUnderTest.start(YAML, env); SluiceUnderTest b = SluiceUnderTest.start(YAML, env)) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        a.sluice().sharedStoreConnected() && b.sluice().sharedStoreConnected());
                assertThat(status(a, "/open")).isEqualTo(200);
                assertThat(status(b, "/open")).isEqualTo(200);
                try (RawHttp client = new RawHttp(a.port("main"))) { // the burst of 2 is spent across both
                    client.send("GET /open HTTP/1.1\r\nHost: h\r\n\r\n");
                    RawHttp.Response limited = client.read();
                    assertThat(limited.status()).isEqualTo(429);
                    assertThat(Integer.parseInt(limited.header("Retry-After"))).isBetween(1, 30);
                }
                assertThat(status(b, "/open")).isEqualTo(429);
                assertThat(status(b, "/strict")).isEqualTo(200);

                redis.down(); // on_store_error: allow lets requests through, deny answers 503; both at once
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(a, "/strict") == 503);
                assertThat(status(a, "/open")).isEqualTo(200);
                assertThat(status(b, "/strict")).isEqualTo(503);

                redis.up(); // back without a restart of either proxy
                Awaitility.await().atMost(Duration.ofSeconds(45)).until(() -> status(a, "/strict") == 200
                        && status(b, "/strict") == 200);
            }
        }
    }
}
