package io.sluice.config;

import io.sluice.filter.api.FilterFactory;

/**
 * One item of a {@code filters:} list: the type, the factory that makes it (built in or from a plugin) and
 * the settings that factory read. {@code line} is where the item starts, for messages.
 */
public record FilterConfig(String type, FilterFactory<?> factory, Object settings, int line) {
}
