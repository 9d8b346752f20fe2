package io.sluice.filter;

import io.sluice.filter.api.FilterFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The filter types a configuration may use, by name: those on the class path (the built-in ones and any
 * plugin put there), found once through {@link ServiceLoader}, plus those of the configuration's
 * {@code plugins:} jars ({@link Plugins}). Immutable.
 */
public final class FilterTypes {
    private static final FilterTypes CLASS_PATH = load(FilterTypes.class.getClassLoader());

    private final Map<String, FilterFactory<?>> byType;

    private FilterTypes(Map<String, FilterFactory<?>> byType) {
        this.byType = Collections.unmodifiableMap(byType);
    }

    /** The types on the class path: the built-in ones and any on it through META-INF/services. */
    public static FilterTypes classPath() {
        return CLASS_PATH;
    }

    private static FilterTypes load(ClassLoader loader) {
        Map<String, FilterFactory<?>> found = new LinkedHashMap<>();
        for (FilterFactory<?> f : ServiceLoader.load(FilterFactory.class, loader)) {
            found.putIfAbsent(f.type(), f);
        }
        return new FilterTypes(found);
    }

    /**
     * These types plus {@code more} (a plugin's). A name already known is not replaced: the caller reports
     * it ({@link #get} tells which factory has a name).
     */
    public FilterTypes with(Iterable<FilterFactory<?>> more) {
        Map<String, FilterFactory<?>> all = new LinkedHashMap<>(byType);
        for (FilterFactory<?> f : more) {
            all.putIfAbsent(f.type(), f);
        }
        return new FilterTypes(all);
    }

    /** The factory of {@code type}, or null. */
    public FilterFactory<?> get(String type) {
        return byType.get(type);
    }

    public java.util.Set<String> names() {
        return byType.keySet();
    }
}
