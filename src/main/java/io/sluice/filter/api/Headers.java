package io.sluice.filter.api;

import java.util.List;
import java.util.Map;

/** The headers of a request or response head. Names are case-insensitive. Valid only while the filter method runs
 * (or, for a filter that waits, until its stage completes). */
public interface Headers extends Iterable<Map.Entry<String, String>> {

    /** The first value of {@code name}, or null. */
    String get(String name);

    /** Every value of {@code name}, in order; empty when none. */
    List<String> getAll(String name);

    boolean contains(String name);

    /** Replaces every value of {@code name} with {@code value}. */
    void set(String name, String value);

    /** Adds a value, keeping those already there. */
    void add(String name, String value);

    void remove(String name);
}
