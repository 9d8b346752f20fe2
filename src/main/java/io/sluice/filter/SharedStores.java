package io.sluice.filter;

import io.sluice.state.RedisStore;

/**
 * What a built-in filter's setup offers besides {@link io.sluice.filter.api.FilterSetup}: the running proxy's
 * shared store. Not in the public filter API (a plugin gets no Redis connection through it); the built-in
 * filters ask for it with {@code setup instanceof SharedStores}.
 */
public interface SharedStores {
    /** The {@code redis:} store, or null when the configuration has none. */
    RedisStore redis();
}
