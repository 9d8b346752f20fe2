package io.sluice.filter.api;

import java.util.List;

/**
 * Makes the filters of one type, e.g. {@code rate_limit}: reads their settings when the configuration is
 * loaded (and checked by {@code sluice check}), then builds a filter for each place the type is used.
 * Plugins provide factories through {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/io.sluice.filter.api.FilterFactory} and name the jar under {@code plugins:}.
 *
 * @param <C> the settings once read (a record, typically)
 */
public interface FilterFactory<C> {

    /** The type name used in {@code filters:}; lower case letters, digits and {@code _}. */
    String type();

    /** The setting names this type knows; any other is an error with a "did you mean". */
    List<String> keys();

    /**
     * Reads the settings. Report every problem through {@link FilterSettings#error} (it records the file,
     * line and column) and return null when the settings cannot be used. Runs off the event loops, possibly
     * in {@code sluice check} only: no side effects.
     */
    C configure(FilterSettings settings);

    /**
     * Builds the filter for one place of the configuration, at start and at every reload. State that must
     * survive a reload (buckets, queues) comes from {@link FilterSetup#keep}.
     */
    Filter create(C settings, FilterSetup setup);
}
