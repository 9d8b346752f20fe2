package io.sluice.upstream;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * {@code store: local}: the bindings in this process, in a Caffeine cache. A binding unused for
 * {@code ttl} is forgotten; past {@link #MAX_BINDINGS} the least used go first, so a flood of new
 * sessions cannot fill the heap (about 150 bytes a binding).
 */
final class LocalStickyStore implements StickyStore {
    static final int MAX_BINDINGS = 100_000;

    private final Cache<String, String> bindings;

    LocalStickyStore(Duration ttl) {
        this.bindings = Caffeine.newBuilder().expireAfterAccess(ttl).maximumSize(MAX_BINDINGS).build();
    }

    @Override
    public String endpointToken(String session) {
        return bindings.getIfPresent(session);
    }

    @Override
    public void bind(String session, String endpointToken) {
        bindings.put(session, endpointToken);
    }

    long size() {
        bindings.cleanUp();
        return bindings.estimatedSize();
    }
}
