package io.sluice.filter.api;

import java.util.function.Supplier;

/** Where a filter is being built, and the state that outlives one configuration. */
public interface FilterSetup {

    /** The listener's name. */
    String listener();

    /** The route's name; null for a listener filter. */
    String route();

    /**
     * State kept across reloads for this place of the configuration (the same listener, route, position and
     * type): the object {@code make} built at the first configuration that had it, or a new one when
     * the previous was of another class. A filter dropped by a reload loses its state.
     */
    <T> T keep(String name, Class<T> type, Supplier<T> make);
}
